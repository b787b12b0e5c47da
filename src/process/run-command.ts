// Runs a command on this machine (initializeCommand): an argv, never a shell
// string; its output goes to `onOutput` as it comes.

import { spawn } from 'node:child_process';

export interface RunCommandOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Ends the command (Ctrl-C): the promise then rejects with an AbortError. */
  signal?: AbortSignal | undefined;
  /** Each chunk of stdout and stderr, as text. */
  onOutput: (text: string) => void;
}

/** Resolves with the command's exit code (1 when a signal ended it); rejects when it cannot start. */
export function runCommand(argv: readonly string[], options: RunCommandOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    const [command = 'true', ...args] = argv;
    const child = spawn(command, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'], env: options.env, signal: options.signal });
    child.stdout.on('data', (chunk: Buffer) => options.onOutput(chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => options.onOutput(chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve(code ?? 1));
  });
}
