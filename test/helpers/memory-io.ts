// In-memory stdin/stdout/stderr for running the CLI in-process.
import { PassThrough, Writable } from 'node:stream';
import type { CliIo } from '../../src/cli/context.js';
import { runCli } from '../../src/cli/program.js';

export class MemoryWritable extends Writable {
  text = '';
  isTTY = false;
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function memoryIo(env: NodeJS.ProcessEnv = {}, cwd = process.cwd()): CliIo & {
  stdout: MemoryWritable;
  stderr: MemoryWritable;
} {
  const stdin = new PassThrough();
  stdin.end();
  return { stdin, stdout: new MemoryWritable(), stderr: new MemoryWritable(), env, cwd };
}

export async function runInProcess(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const io = memoryIo(env);
  const code = await runCli(argv, io);
  return { code, stdout: io.stdout.text, stderr: io.stderr.text };
}
