// Runs the built `pks` on a real terminal: a shell script inside a
// pseudo-terminal (util-linux `script`), its output read back and what the
// "user" types written to it.

import { spawn } from 'node:child_process';
import { pksBin } from './pks-cli.js';
import { repoRoot } from './test-env.js';

export interface Terminal {
  output(): string;
  write(text: string): void;
  exited: Promise<number | null>;
}

/** Single-quotes an argument for the script's shell. */
export function quote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The shell command line that runs the built pks with `args`. */
export function pksCommand(args: string[]): string {
  return [process.execPath, pksBin, ...args].map(quote).join(' ');
}

export function inTerminal(script: string, env: NodeJS.ProcessEnv, timeoutMs = 60_000): Terminal {
  const child = spawn('script', ['-qec', script, '/dev/null'], { env, cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    }),
  );
  return { output: () => output, write: (text) => child.stdin.write(text), exited };
}
