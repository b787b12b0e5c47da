// The registry of remote hosts: ~/.pks/remote-hosts.json (PKS_HOME replaces
// ~/.pks). The only local state pks keeps — containers are found again through
// engine labels. The file is versioned and schema-checked on every read; a
// file pks cannot understand is reported and never overwritten.

import os from 'node:os';
import path from 'node:path';
import * as z from '../common/zod-mini.js';
import { DEFAULT_DOCKER_SOCKET, REMOTE_ID_PATTERN } from '../common/defaults.js';
import { OperationError, UsageError, errorMessage } from '../common/errors.js';
import { ensurePrivateDir, withFileLock, writeFileAtomic } from './files.js';
import { describeUnreadable, readUserFile } from './user-files.js';

export { DEFAULT_DOCKER_SOCKET, REMOTE_ID_PATTERN };
export const HOSTS_FILE_VERSION = 1;
/** Far more than any list of hosts: a bigger file is not one pks wrote. */
const MAX_HOSTS_FILE_BYTES = 16 * 1024 * 1024;

const capabilitiesSchema = z.object({
  /** Which engine serves the API (absent in entries tested before pks told them apart: Docker). */
  engine: z.optional(z.enum(['docker', 'podman'])),
  engineVersion: z.string(),
  apiVersion: z.string(),
  os: z.string(),
  arch: z.string(),
  operatingSystem: z.optional(z.string()),
  kernelVersion: z.optional(z.string()),
  cpus: z.number().check(z.int(), z.nonnegative()),
  memoryBytes: z.number().check(z.nonnegative()),
  dockerRootDir: z.string(),
  /** Free bytes under dockerRootDir; null when the host would not say. */
  freeDiskBytes: z.nullable(z.number().check(z.nonnegative())),
});

const remoteHostSchema = z.object({
  id: z.string().check(z.regex(REMOTE_ID_PATTERN, 'lowercase letters, digits, "-" and "_"')),
  host: z.string().check(z.minLength(1)),
  user: z.optional(z.string().check(z.minLength(1))),
  port: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(65535))),
  key: z.optional(z.string().check(z.minLength(1))),
  dockerSocket: z._default(z.string().check(z.minLength(1)), DEFAULT_DOCKER_SOCKET),
  addedAt: z.iso.datetime(),
  lastTestedAt: z.optional(z.iso.datetime()),
  capabilities: z.optional(capabilitiesSchema),
});

const hostsFileSchema = z
  .object({
    version: z.literal(HOSTS_FILE_VERSION),
    hosts: z.array(remoteHostSchema),
  })
  .check(
    z.superRefine((file, ctx) => {
      const seen = new Set<string>();
      file.hosts.forEach((host, i) => {
        if (seen.has(host.id)) ctx.addIssue({ code: 'custom', path: ['hosts', i, 'id'], message: `duplicate id "${host.id}"` });
        seen.add(host.id);
      });
    }),
  );

export type RemoteHostCapabilities = z.infer<typeof capabilitiesSchema>;
export type RemoteHost = z.infer<typeof remoteHostSchema>;

/** The user's home: HOME when set (tests and sandboxes set it), else the account's. */
export function homeDir(env: NodeJS.ProcessEnv): string {
  return env.HOME !== undefined && env.HOME !== '' ? env.HOME : os.homedir();
}

export function pksHome(env: NodeJS.ProcessEnv): string {
  const override = env.PKS_HOME;
  if (override !== undefined && override !== '') return path.resolve(override);
  return path.join(homeDir(env), '.pks');
}

export class RemoteHostStore {
  readonly file: string;
  private readonly lockFile: string;

  constructor(readonly dir: string) {
    this.file = path.join(dir, 'remote-hosts.json');
    this.lockFile = `${this.file}.lock`;
  }

  static fromEnv(env: NodeJS.ProcessEnv): RemoteHostStore {
    return new RemoteHostStore(pksHome(env));
  }

  async list(): Promise<RemoteHost[]> {
    return this.read();
  }

  async get(id: string): Promise<RemoteHost | undefined> {
    return (await this.read()).find((host) => host.id === id);
  }

  /** The entry for `id`, or a usage error that lists the registered ids. */
  async require(id: string): Promise<RemoteHost> {
    const hosts = await this.read();
    const host = hosts.find((h) => h.id === id);
    if (host !== undefined) return host;
    throw unknownRemote(id, hosts);
  }

  /** Adds an entry; an existing id is replaced only with `replace`. */
  async add(entry: RemoteHost, options: { replace?: boolean } = {}): Promise<void> {
    const checked = parseEntry(entry);
    await this.mutate((hosts) => {
      const index = hosts.findIndex((h) => h.id === checked.id);
      if (index >= 0 && options.replace !== true) throw remoteExistsError(hosts[index] as RemoteHost);
      const next = hosts.filter((h) => h.id !== checked.id);
      next.push(checked);
      return next.sort((a, b) => a.id.localeCompare(b.id));
    });
  }

  /** Applies `patch` to the entry `id` (for test results and capabilities). */
  async update(id: string, patch: Partial<Omit<RemoteHost, 'id'>>): Promise<RemoteHost> {
    let updated: RemoteHost | undefined;
    await this.mutate((hosts) => {
      const index = hosts.findIndex((h) => h.id === id);
      if (index < 0) throw unknownRemote(id, hosts);
      updated = parseEntry({ ...(hosts[index] as RemoteHost), ...patch });
      return hosts.map((h, i) => (i === index ? (updated as RemoteHost) : h));
    });
    return updated as RemoteHost;
  }

  async remove(id: string): Promise<RemoteHost> {
    let removed: RemoteHost | undefined;
    await this.mutate((hosts) => {
      removed = hosts.find((h) => h.id === id);
      if (removed === undefined) throw unknownRemote(id, hosts);
      return hosts.filter((h) => h.id !== id);
    });
    return removed as RemoteHost;
  }

  /** Read-modify-write under the lock, so concurrent writers never lose entries. */
  private async mutate(change: (hosts: RemoteHost[]) => RemoteHost[]): Promise<void> {
    await ensurePrivateDir(this.dir);
    await withFileLock(this.lockFile, async () => {
      const next = change(await this.read());
      const content = `${JSON.stringify({ version: HOSTS_FILE_VERSION, hosts: next }, null, 2)}\n`;
      try {
        await writeFileAtomic(this.file, content);
      } catch (error) {
        throw new OperationError('E_HOSTS_FILE_WRITE', `Cannot write ${this.file}: ${errorMessage(error)}`, { cause: error });
      }
    });
  }

  private async read(): Promise<RemoteHost[]> {
    const read = await readUserFile(this.file, MAX_HOSTS_FILE_BYTES);
    if (read.kind === 'missing') return [];
    if (read.kind !== 'file') {
      const problem = read.kind === 'unreadable' ? `Cannot read ${this.file}: ${errorMessage(read.error)}` : `Cannot read ${this.file}: it ${describeUnreadable(read, MAX_HOSTS_FILE_BYTES)}`;
      throw new OperationError('E_HOSTS_FILE_UNREADABLE', `${problem}.`, {
        hint: "Check the file's owner and permissions (it should be yours, mode 600); pks will not overwrite it.",
        ...(read.kind === 'unreadable' ? { cause: read.error } : {}),
      });
    }
    return parseHostsFile(this.file, read.data.toString('utf8'));
  }
}

export function parseHostsFile(file: string, text: string): RemoteHost[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw corrupt(file, `it is not valid JSON (${errorMessage(error)})`);
  }
  if (typeof data === 'object' && data !== null && 'version' in data && typeof data.version === 'number' && data.version > HOSTS_FILE_VERSION) {
    throw corrupt(file, `it was written by a newer pks (format version ${data.version}; this pks reads version ${HOSTS_FILE_VERSION})`, 'Upgrade pks.');
  }
  const result = hostsFileSchema.safeParse(data);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(top level)'}: ${issue.message}`);
    throw corrupt(file, `it does not have the expected shape: ${problems.slice(0, 3).join('; ')}`);
  }
  return result.data.hosts;
}

function corrupt(file: string, problem: string, hint?: string): OperationError {
  return new OperationError('E_HOSTS_FILE_INVALID', `The remote hosts file ${file} cannot be used: ${problem}.`, {
    hint: hint ?? 'Fix the file by hand or move it aside; pks will not overwrite it.',
  });
}

function parseEntry(entry: RemoteHost): RemoteHost {
  const result = remoteHostSchema.safeParse(entry);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new UsageError(`Invalid remote host entry: ${problems}`, { code: 'E_REMOTE_INVALID' });
  }
  return result.data;
}

export function describeHost(host: Pick<RemoteHost, 'host' | 'user' | 'port'>): string {
  return `${host.user === undefined ? '' : `${host.user}@`}${host.host}${host.port === undefined ? '' : `:${host.port}`}`;
}

export function remoteExistsError(existing: RemoteHost): UsageError {
  return new UsageError(`A remote host with id "${existing.id}" already exists (${describeHost(existing)}).`, {
    code: 'E_REMOTE_EXISTS',
    hint: 'Pass --force to replace it, or choose another id.',
  });
}

function unknownRemote(id: string, hosts: readonly RemoteHost[]): UsageError {
  const known = hosts.map((h) => h.id);
  return new UsageError(`Unknown remote host "${id}".`, {
    code: 'E_UNKNOWN_REMOTE',
    hint:
      known.length === 0
        ? 'No remote hosts are registered. Add one with: pks remote add <id> --host <host>'
        : `Registered hosts: ${known.join(', ')}. Add one with: pks remote add ${id} --host <host>`,
  });
}
