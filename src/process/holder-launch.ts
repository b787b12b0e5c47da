// Starts a warm-connection holder: this pks again (argv), detached from the
// terminal and its process group (Ctrl-C in the shell does not end it), with
// its request on stdin. Resolves with the one line the holder reports on
// stdout (ready, or its error); '' when it ended without one. In the
// background, resolves once the request is handed over: the caller may exit
// while the holder connects.

import { spawn } from 'node:child_process';

export function launchHolder(argv: readonly string[], env: NodeJS.ProcessEnv, request: string, options: { background?: boolean } = {}): Promise<string> {
  if (options.background === true) return launchInBackground(argv, env, request);
  return new Promise((resolve) => {
    const [command = process.execPath, ...args] = argv;
    // cwd '/': a long-lived process must not keep the caller's folder busy
    // (every path it is given is absolute).
    const child = spawn(command, args, { detached: true, stdio: ['pipe', 'pipe', 'ignore'], env, cwd: '/' });
    let output = '';
    let settled = false;
    const settle = (): void => {
      if (settled) return;
      settled = true;
      child.stdout?.destroy();
      child.unref();
      const end = output.indexOf('\n');
      resolve(end < 0 ? '' : output.slice(0, end));
    };
    child.once('error', settle);
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(request);
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      output += chunk;
      if (output.includes('\n')) settle();
    });
    child.stdout?.once('close', settle);
  });
}

function launchInBackground(argv: readonly string[], env: NodeJS.ProcessEnv, request: string): Promise<string> {
  return new Promise((resolve) => {
    const [command = process.execPath, ...args] = argv;
    const child = spawn(command, args, { detached: true, stdio: ['pipe', 'ignore', 'ignore'], env, cwd: '/' });
    const done = (): void => {
      child.unref();
      resolve('');
    };
    child.once('error', done);
    child.stdin?.on('error', done);
    child.stdin?.end(request, done);
  });
}
