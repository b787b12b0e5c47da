// A real pseudo-terminal for tests (util-linux `script`): a shell script runs in
// it as in a user's terminal, and what the "user" types goes through write().

import { spawn } from 'node:child_process';
import { pksBin } from './pks-cli.js';
import { repoRoot } from './test-env.js';

export interface Terminal {
  /** Everything the terminal showed so far. */
  output(): string;
  write(text: string): void;
  exited: Promise<number | null>;
}

/** One argument for a shell script, quoted. */
export function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** A shell command line that runs the built pks with `args`. */
export const pks = (args: string[]): string => [process.execPath, pksBin, ...args].map(shellQuote).join(' ');

/** Runs a shell script inside a pseudo-terminal (in the repository unless `cwd` says otherwise). */
export function inTerminal(script: string, options: { env: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number }): Terminal {
  const child = spawn('script', ['-qec', script, '/dev/null'], { env: options.env, cwd: options.cwd ?? repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    }),
  );
  return { output: () => output, write: (text) => child.stdin.write(text), exited };
}
