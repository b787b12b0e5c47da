// A pseudo-terminal for tests (util-linux `script`): a shell script runs in it
// as in a user's terminal, and what the "user" types goes through write().

import { spawn } from 'node:child_process';

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

export function inTerminal(script: string, options: { env: NodeJS.ProcessEnv; cwd: string; timeoutMs?: number }): Terminal {
  const child = spawn('script', ['-qec', script, '/dev/null'], { env: options.env, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
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
