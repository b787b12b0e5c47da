// The user's defaults: ~/.pks/config.json (PKS_HOME replaces ~/.pks). A
// default remote host (`pks remote default <id>`) and default options per
// command, edited by hand:
//
//   { "version": 1, "defaultRemote": "hetzner",
//     "flags": { "devcontainer list": { "all": true }, "devcontainer logs": { "tail": "100" } } }
//
// Written like the hosts file: 0600, atomically, under a lock; a file pks
// cannot read or understand is reported and never overwritten.

import path from 'node:path';
import * as z from '../common/zod-mini.js';
import { REMOTE_ID_PATTERN } from '../common/defaults.js';
import { OperationError, errorMessage } from '../common/errors.js';
import { ensurePrivateDir, withFileLock, writeFileAtomic } from './files.js';
import { pksHome } from './remote-host-store.js';
import { describeUnreadable, readUserFile } from './user-files.js';

export const CONFIG_FILE_VERSION = 1;
/** Far more than any set of defaults: a bigger file is not one pks wrote. */
const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

const flagValueSchema = z.union([z.boolean(), z.string(), z.number()]);

const configSchema = z.object({
  version: z.literal(CONFIG_FILE_VERSION),
  defaultRemote: z.optional(z.string().check(z.regex(REMOTE_ID_PATTERN, 'lowercase letters, digits, "-" and "_"'))),
  /** Command path ("devcontainer list") → option name (as in --help, without dashes) → value. */
  flags: z.optional(z.record(z.string(), z.record(z.string(), flagValueSchema))),
});

export type UserConfig = z.infer<typeof configSchema>;
export type FlagValue = z.infer<typeof flagValueSchema>;

export class UserConfigStore {
  readonly file: string;
  private readonly lockFile: string;

  constructor(readonly dir: string) {
    this.file = path.join(dir, 'config.json');
    this.lockFile = `${this.file}.lock`;
  }

  static fromEnv(env: NodeJS.ProcessEnv): UserConfigStore {
    return new UserConfigStore(pksHome(env));
  }

  /** The configuration; an empty one when the file does not exist. */
  async read(): Promise<UserConfig> {
    const read = await readUserFile(this.file, MAX_CONFIG_FILE_BYTES);
    if (read.kind === 'missing') return { version: CONFIG_FILE_VERSION };
    if (read.kind !== 'file') {
      const problem = read.kind === 'unreadable' ? errorMessage(read.error) : `it ${describeUnreadable(read, MAX_CONFIG_FILE_BYTES)}`;
      throw new OperationError('E_CONFIG_FILE_UNREADABLE', `Cannot read ${this.file}: ${problem}.`, {
        hint: "Check the file's owner and permissions (it should be yours, mode 600); pks will not overwrite it.",
        ...(read.kind === 'unreadable' ? { cause: read.error } : {}),
      });
    }
    return parseConfigFile(this.file, read.data.toString('utf8'));
  }

  /** Sets (or, with undefined, removes) the default remote; the rest of the file is kept. */
  async setDefaultRemote(id: string | undefined): Promise<void> {
    await ensurePrivateDir(this.dir);
    await withFileLock(this.lockFile, async () => {
      const { defaultRemote: _previous, ...rest } = await this.read();
      const next: UserConfig = id === undefined ? rest : { ...rest, defaultRemote: id };
      try {
        await writeFileAtomic(this.file, `${JSON.stringify(next, null, 2)}\n`);
      } catch (error) {
        throw new OperationError('E_CONFIG_FILE_WRITE', `Cannot write ${this.file}: ${errorMessage(error)}`, { cause: error });
      }
    });
  }
}

export function parseConfigFile(file: string, text: string): UserConfig {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw invalid(file, `it is not valid JSON (${errorMessage(error)})`);
  }
  const result = configSchema.safeParse(data);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(top level)'}: ${issue.message}`);
    throw invalid(file, `it does not have the expected shape: ${problems.slice(0, 3).join('; ')}`);
  }
  return result.data;
}

export function invalid(file: string, problem: string): OperationError {
  return new OperationError('E_CONFIG_FILE_INVALID', `The configuration file ${file} cannot be used: ${problem}.`, {
    hint: 'Fix the file by hand or move it aside; pks will not overwrite it.',
  });
}
