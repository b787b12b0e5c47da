// A hook's exit code, reported by the hook's own shell at the end of its
// standard error, so that pks need not ask the engine for it once the output
// ends (an exec inspect: one round trip to a remote host). The wrapper runs
// the command in a shell of its own (a string hook keeps its `/bin/sh -c`),
// then prints a line no command prints: a NUL, a fixed word and the code.
// The reader takes that line out of the output; output that only looked
// like its beginning is passed on. Without the line (the wrapper could not
// run, or was killed), the engine is asked, as for any exec.

const REPORT_PREFIX = '\u0000pks-exit:';
/** The shell's part: after "$@" (the command), print its status and exit with it. */
const REPORT_SCRIPT = '"$@"; s=$?; printf \'\\000pks-exit:%d\\n\' "$s" >&2; exit "$s"';

/** `argv` run by a shell that reports its exit code (the argv needs /bin/sh in the image, which a string command already does). */
export function reportingExit(argv: readonly string[]): string[] {
  return ['/bin/sh', '-c', REPORT_SCRIPT, 'pks-hook', ...argv];
}

/** The script of `reportingExit`, for another wrapper that ends the same way. */
export function exitReportLine(status: string): string {
  return `printf '\\000pks-exit:%d\\n' ${status} >&2`;
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
