// In-memory stdin/stdout/stderr for running the CLI in-process.
import { PassThrough, Writable } from 'node:stream';
import type { CliIo } from '../../src/cli/context.js';
import { runCli } from '../../src/cli/program.js';
import { Reporter, type ReporterOptions } from '../../src/cli/reporter.js';

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

/** A reporter writing to memory, its clock fixed at 2026-01-02T03:04:05Z. */
export function memoryReporter(options: Omit<ReporterOptions, 'stdout' | 'stderr' | 'now'> = {}): { stdout: MemoryWritable; stderr: MemoryWritable; reporter: Reporter } {
  const stdout = new MemoryWritable();
  const stderr = new MemoryWritable();
  const fixed = new Date('2026-01-02T03:04:05.000Z');
  return { stdout, stderr, reporter: new Reporter({ stdout, stderr, now: () => fixed, ...options }) };
}
