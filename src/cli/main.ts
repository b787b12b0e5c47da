// Process entry point: wires the real streams and environment into runCli and
// turns its result into the exit code. Nothing else in pks touches `process`
// for output or exit.

import { runCli } from './program.js';

const exitCode = await runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
process.exitCode = exitCode;
