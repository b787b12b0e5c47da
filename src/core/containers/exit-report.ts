// A hook's exit code, reported by the hook's own shell at the end of its
// standard error, so that pks need not ask the engine for it once the output
// ends (an exec inspect: one round trip to a remote host). The wrapper runs
// the command in a shell of its own (a string hook keeps its `/bin/sh -c`),
// then prints a line no command prints: a NUL, a fixed word and the code.
// The reader takes that line out of the output; output that only looked
// like its beginning is passed on. Without the line (the wrapper could not
// run, or was killed), the engine is asked, as for any exec.
//
// The wrapper also writes the code to a status file: when pks
// was killed while the hook ran, Docker records exit code 126 for an exec
// that writes output after its attach is gone (as the report line does), so
// the next pks reads the file instead (see hooks.ts, waitForEarlierRuns).

import { createHash } from 'node:crypto';

const REPORT_PREFIX = '\u0000pks-exit:';
/** The name the wrapper shells run as ($0): pks's hook wrappers, this one and the marker's (hooks.ts). */
export const WRAPPER_NAME = 'pks-hook';
/** Where a wrapper's status file goes: /tmp is writable for every user of nearly every image. */
const STATUS_DIR = '/tmp';
const STATUS_PREFIX = '.pks-hook-exit-';

/**
 * The end of a wrapper script, after the command ran and `$s` holds its
 * status: the status file (quietly, if /tmp cannot be written), then the
 * report, with SIGPIPE ignored for it only (set after the command, which
 * keeps the usual disposition) so that a report nobody reads cannot change
 * the exit code.
 */
export function exitReportEnd(statusFileVar: string): string {
  return `{ echo "$s" > "${statusFileVar}"; } 2>/dev/null; trap '' PIPE; printf '\\000pks-exit:%d\\n' "$s" >&2; exit "$s"`;
}

/** Empties the status file before the command runs: a run that never ends it leaves no code of an earlier one. */
export function exitReportStart(statusFileVar: string): string {
  return `{ true > "${statusFileVar}"; } 2>/dev/null`;
}

/** The shell's part: the status file is its first argument, the command the rest. */
const REPORT_SCRIPT = `f="$1"; shift; ${exitReportStart('$f')}; "$@"; s=$?; ${exitReportEnd('$f')}`;

/**
 * The status file of a hook's command: one per command (named by a hash of
 * the hook and the command line), written over by each run, so that a
 * container keeps one small file per command however often it starts.
 */
export function statusFileFor(hook: string, argv: readonly string[]): string {
  return `${STATUS_DIR}/${STATUS_PREFIX}${createHash('sha256').update(JSON.stringify([hook, ...argv])).digest('hex').slice(0, 16)}`;
}

const STATUS_FILE = new RegExp(`^${STATUS_DIR}/\\${STATUS_PREFIX}[0-9a-f]{16}$`);

/** Whether `file` is a status file's path as pks names them (not any path a command line holds). */
export function isStatusFile(file: string | undefined): file is string {
  return file !== undefined && STATUS_FILE.test(file);
}

/** `argv` run by a shell that reports its exit code (the argv needs /bin/sh in the image, which a string command already does). */
export function withExitReport(argv: readonly string[], statusFile: string): string[] {
  return ['/bin/sh', '-c', REPORT_SCRIPT, WRAPPER_NAME, statusFile, ...argv];
}

/** The command a reporting wrapper runs, and its status file; undefined for any other command line. */
export function unwrapReporting(argv: readonly string[]): { argv: string[]; statusFile: string } | undefined {
  const [sh, c, script, name, statusFile, ...rest] = argv;
  if (sh !== '/bin/sh' || c !== '-c' || script !== REPORT_SCRIPT || name !== WRAPPER_NAME || !isStatusFile(statusFile)) return undefined;
  return { argv: rest, statusFile };
}

/** Reads standard error as it comes: passes on the text, keeps the report out, and remembers its code. */
export class ExitReportReader {
  private held = '';
  exitCode: number | undefined;

  /** The text to pass on now (a possible beginning of the report is held back). */
  read(text: string): string {
    let input = this.held + text;
    this.held = '';
    let out = '';
    for (;;) {
      const at = input.indexOf('\u0000');
      if (at < 0) return out + input;
      out += input.slice(0, at);
      input = input.slice(at);
      const end = input.indexOf('\n');
      if (end < 0) {
        // Could be the report, cut by the chunk: wait for more (a bare NUL not followed by it is passed on).
        if (REPORT_PREFIX.startsWith(input.slice(0, REPORT_PREFIX.length)) || input.startsWith(REPORT_PREFIX)) {
          this.held = input;
          return out;
        }
        out += input.slice(0, 1);
        input = input.slice(1);
        continue;
      }
      const line = input.slice(0, end);
      const code = line.startsWith(REPORT_PREFIX) ? /^(\d{1,3})$/.exec(line.slice(REPORT_PREFIX.length))?.[1] : undefined;
      if (code !== undefined) {
        this.exitCode = Number(code);
        input = input.slice(end + 1);
      } else {
        out += input.slice(0, 1);
        input = input.slice(1);
      }
    }
  }

  /** What is still held back once the output ended: not a report after all. */
  end(): string {
    const rest = this.held;
    this.held = '';
    return rest;
  }
}
