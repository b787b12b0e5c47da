// BuildKit's `--progress=plain` output, read line by line: each vertex (a
// Dockerfile step, the context transfer, the export) is `#N <name>`, then its
// log lines `#N <seconds> <text>`, its status lines and one of `#N DONE 1.2s`,
// `#N CACHED`, `#N ERROR: <why>`, `#N CANCELED`. Lines without `#N` come at
// the end: the error summary. Kept: the current step (for a live line), each
// step's output (for the failure report) and counts for the summary line.

/** Output lines kept per step and in all, from the end: enough for any failure report. */
const STEP_LINES = 200;
const ALL_LINES = 5000;

interface Vertex {
  name: string;
  output: string[];
  state: 'running' | 'done' | 'cached' | 'error' | 'canceled';
  error?: string;
}

export interface BuildkitFailure {
  /** The failing step (`[stage-0 3/4] RUN make`), when one failed. */
  step?: string;
  /** Why: the step's error, or BuildKit's closing message. */
  reason: string;
  /** The failing step's own output, last lines. */
  output: string[];
}

const VERTEX_LINE = /^#(\d+) (.*)$/;
const LOG_LINE = /^(\d+\.\d+) (.*)$/;
const DONE_LINE = /^DONE \d+(?:\.\d+)?s$/;

/** A Dockerfile instruction, not BuildKit's own work (`[internal] …`, `exporting to image`, `load metadata …`). */
function isDockerfileStep(name: string): boolean {
  return /^\[[^\]]*\d+\/\d+\] /.test(name);
}

export class BuildkitProgress {
  private readonly vertices = new Map<number, Vertex>();
  /** Lines that belong to no vertex (BuildKit's closing error). */
  private readonly trailer: string[] = [];
  private readonly log: string[] = [];

  /**
   * Reads one line; returns the name of a step that just started (for a live
   * line), else undefined.
   */
  push(rawLine: string): string | undefined {
    const line = rawLine.replace(/\r$/, '');
    this.log.push(line);
    if (this.log.length > ALL_LINES) this.log.shift();
    const match = VERTEX_LINE.exec(line);
    if (match === null) {
      if (line.trim() !== '' && !/^-+$/.test(line.trim()) && !line.startsWith(' > ')) this.trailer.push(line.trim());
      return undefined;
    }
    const id = Number(match[1]);
    const rest = match[2] ?? '';
    const vertex = this.vertices.get(id);
    if (vertex === undefined) {
      this.vertices.set(id, { name: rest, output: [], state: 'running' });
      return isDockerfileStep(rest) ? rest : undefined;
    }
    if (rest === vertex.name || /^sha256:[0-9a-f]{64}$/.test(rest)) return undefined;
    if (rest === 'CACHED') vertex.state = 'cached';
    else if (rest === 'CANCELED') vertex.state = vertex.state === 'error' ? 'error' : 'canceled';
    else if (DONE_LINE.test(rest)) vertex.state = 'done';
    else if (rest.startsWith('ERROR: ') || rest === 'ERROR') {
      vertex.state = 'error';
      vertex.error = rest.slice('ERROR: '.length).trim();
    } else {
      const log = LOG_LINE.exec(rest);
      vertex.output.push(log === null ? rest : (log[2] ?? ''));
      if (vertex.output.length > STEP_LINES) vertex.output.shift();
    }
    return undefined;
  }

  /** Dockerfile steps seen, and how many came from the cache. */
  counts(): { steps: number; cached: number } {
    let steps = 0;
    let cached = 0;
    for (const vertex of this.vertices.values()) {
      if (!isDockerfileStep(vertex.name)) continue;
      steps += 1;
      if (vertex.state === 'cached') cached += 1;
    }
    return { steps, cached };
  }

  /** What failed, from what was read: the failing step and its output, or BuildKit's own closing error. */
  failure(): BuildkitFailure {
    const failed = [...this.vertices.values()].find((vertex) => vertex.state === 'error');
    const closing = this.trailer.filter((line) => !line.startsWith('#')).at(-1);
    if (failed === undefined) return { reason: closing ?? 'the docker CLI gave no reason', output: [] };
    return { step: failed.name, reason: failed.error || closing || 'failed', output: failed.output.slice(-40) };
  }

  /** The whole output, last lines (for --verbose after a failure). */
  lines(): readonly string[] {
    return this.log;
  }
}
