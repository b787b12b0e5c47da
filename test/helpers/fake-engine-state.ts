// The state the in-memory engine (fake-engine.ts) holds, the errors it
// answers with, and the wire formats it produces: multiplexed stream
// frames, JSON message streams, tar archives.

import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { OperationError } from '../../src/common/errors.js';
import { EngineApiError, type EngineFilters, type EngineOperations } from '../../src/engine/index.js';

export type FakeOperation = keyof EngineOperations | 'ping' | 'version' | 'info' | 'listContainers' | 'hostDiskFree' | 'hostUserIds' | 'toolEndpoint' | 'apiVersion' | 'openTcp';

export interface FakeContainer {
  id: string;
  name: string;
  image: string;
  state: 'created' | 'running' | 'exited';
  labels: Record<string, string>;
  env: string[];
  user?: string;
  tty: boolean;
  mounts: { type: 'volume' | 'bind'; name?: string; source?: string; destination: string; anonymous?: boolean }[];
  /** Unix seconds. */
  created: number;
  exitCode: number;
  /**
   * Files inside the container by absolute path (what putArchive wrote, or a
   * test put there), except those under a volume's mount point: those are
   * the volume's (see FakeEngine.fileStore).
   */
  files: Map<string, Buffer>;
  /** What the container printed on stdout. */
  logs: string;
}

export interface FakeVolume {
  name: string;
  labels: Record<string, string>;
  /** What /system/df reports (bytes). */
  size?: number;
  /** Files in the volume, by path relative to its root: every container that mounts it sees them. */
  files: Map<string, Buffer>;
}

export interface FakeImage {
  id: string;
  tags: string[];
  user?: string;
  env: string[];
  labels: Record<string, string>;
  /** Bytes; unix seconds; the image it was built on. */
  size?: number;
  created?: number;
  parent?: string;
}

export interface FakeExec {
  id: string;
  containerId: string;
  cmd: string[];
  user?: string;
  tty: boolean;
  running: boolean;
  exitCode: number | null;
  /** What the exec read on its stdin. */
  stdin: string;
}

/** What an exec does when started: its output and exit code. */
export type ExecBehaviour = (exec: FakeExec) => { stdout?: string; stderr?: string; exitCode?: number } | Promise<{ stdout?: string; stderr?: string; exitCode?: number }>;

/** An error as the engine answers it (`statusCode` 404, 409, 500…). */
export function engineError(statusCode: number, message: string, what = 'fake request'): EngineApiError {
  return new EngineApiError({ statusCode, engineMessage: message, target: 'fake engine', method: 'FAKE', path: what });
}

/** The error a broken connection raises. */
export function connectionLost(): OperationError {
  return new OperationError('E_ENGINE_CONNECTION', 'The connection to the engine failed: socket hang up.');
}

export const hexId = (seed: string): string => createHash('sha256').update(seed).digest('hex');

/** An engine stream frame (stdout 1, stderr 2), as the engine multiplexes output without a TTY. */
export function frame(stream: 1 | 2, text: string): Buffer {
  const data = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(data.length, 4);
  return Buffer.concat([header, data]);
}

/** The regular files of a ustar archive, by their names. */
export function untar(archive: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  let offset = 0;
  let longName: string | undefined;
  while (offset + 512 <= archive.length) {
    const header = archive.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) break;
    const text = (from: number, length: number): string => header.subarray(from, from + length).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(text(124, 12).trim() || '0', 8);
    const type = text(156, 1) || '0';
    const prefix = text(345, 155);
    const body = archive.subarray(offset + 512, offset + 512 + size);
    const name = longName ?? (prefix === '' ? text(0, 100) : `${prefix}/${text(0, 100)}`);
    longName = undefined;
    if (type === 'L') longName = body.toString('utf8').replace(/\0.*$/s, '');
    else if (type === '0') files.set(name.replace(/^\.\//, ''), Buffer.from(body));
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

export async function drain(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

export const jsonLines = (messages: readonly unknown[]): Readable => Readable.from(messages.map((message) => Buffer.from(`${JSON.stringify(message)}\n`)));

export function matchesLabels(labels: Readonly<Record<string, string>>, filters: EngineFilters | undefined): boolean {
  return (filters?.label ?? []).every((filter) => {
    const at = filter.indexOf('=');
    return at < 0 ? filter in labels : labels[filter.slice(0, at)] === filter.slice(at + 1);
  });
}

