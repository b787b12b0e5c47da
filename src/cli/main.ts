// Process entry point: wires the real streams and environment into runCli and
// turns its result into the exit code. Nothing else in pks touches `process`
// for output or exit. No top-level await: the bundle is CommonJS (see
// scripts/build.mjs).

import { registerHolderLauncher } from '../core/remote/warm-launch.js';
import { runCli } from './program.js';

/** The hidden first argument that makes this process a warm-connection holder (see src/engine/warm-holder.ts). */
const HOLDER_ARGUMENT = '__pks-holder';

/** A holder keeps one SSH connection and serves it on unix sockets; it prints nothing but its ready report. */
function runHolderProcess(): void {
  void import('../engine/warm-holder.js')
    .then(({ runHolder }) => runHolder(process.stdin, process.stdout))
    .then(
      (code) => process.exit(code),
      () => process.exit(1),
    );
}

// Commands start holders as this same script, detached.
const script = process.argv[1];
if (script !== undefined && process.argv[2] !== HOLDER_ARGUMENT) {
  registerHolderLauncher(async (request, options) =>
    (await import('../process/holder-launch.js')).launchHolder([process.execPath, script, HOLDER_ARGUMENT], process.env, request, options),
  );
}

// The reader of our output went away (`pks devcontainer logs x | head`):
// stop quietly, as a process killed by SIGPIPE would (128 + 13), not with a
// stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(141);
    throw error;
  });
}

if (process.argv[2] === HOLDER_ARGUMENT) runHolderProcess();
else void runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  onInterrupt(handler) {
    let count = 0;
    const listener = (): void => {
      count += 1;
      // A second Ctrl-C means "now": skip the clean-up.
      if (count > 1) process.exit(130);
      handler();
    };
    process.on('SIGINT', listener);
    process.on('SIGTERM', listener);
    return () => {
      process.off('SIGINT', listener);
      process.off('SIGTERM', listener);
    };
  },
}).then((exitCode) => {
  process.exitCode = exitCode;
});
