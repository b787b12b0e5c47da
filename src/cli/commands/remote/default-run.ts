// `pks remote default [id] [--unset]`: the default remote host, kept in
// ~/.pks/config.json; PKS_REMOTE overrides it (and is reported when it does).

import { UsageError } from '../../../common/errors.js';
import { LOCAL_HOST_ID } from '../../../core/containers/labels.js';
import { UserConfigStore } from '../../../store/user-config.js';
import type { Context } from '../../context.js';
import { REMOTE_ENV, defaultRemote } from '../../defaults.js';
import type { OutputFormat } from '../../options.js';
import { present } from '../../present.js';
import { storeOf } from './host-checks.js';

export interface DefaultFlags {
  unset?: boolean | undefined;
  format: OutputFormat;
}

export async function remoteDefault(ctx: Context, id: string | undefined, flags: DefaultFlags): Promise<void> {
  const config = UserConfigStore.fromEnv(ctx.env);
  if (flags.unset === true && id !== undefined) {
    throw new UsageError('Give a remote id or --unset, not both.', { hint: 'pks remote default <id> sets the default; pks remote default --unset removes it.' });
  }
  if (id === LOCAL_HOST_ID) {
    throw new UsageError(`"${LOCAL_HOST_ID}" is the local engine, the default when none is set.`, { hint: 'Run pks remote default --unset.' });
  }
  if (flags.unset === true) {
    await config.setDefaultRemote(undefined);
    ctx.reporter.success('No default remote: commands use the local engine unless --remote is given.');
    noteEnvironment(ctx);
    return;
  }
  if (id !== undefined) {
    await storeOf(ctx).require(id);
    await config.setDefaultRemote(id);
    ctx.reporter.success(`Commands now run on remote host "${id}" unless --remote is given (--remote ${LOCAL_HOST_ID} for the local engine).`);
    noteEnvironment(ctx);
    return;
  }
  const current = defaultRemote(ctx.env, await config.read());
  present(ctx.reporter, flags.format, current, {
    json: (value) => ({ remote: value?.id ?? null, source: value?.source ?? null }),
    text(value, reporter) {
      if (value === undefined) {
        reporter.info('No default remote: commands use the local engine unless --remote is given.');
        return;
      }
      reporter.data(value.id);
      reporter.info(value.source === 'env' ? `(from ${REMOTE_ENV})` : `(from ${config.file})`);
    },
  });
}

/** PKS_REMOTE wins over what was just written: say so. */
function noteEnvironment(ctx: Context): void {
  const fromEnv = ctx.env[REMOTE_ENV]?.trim() ?? '';
  if (fromEnv !== '') ctx.reporter.warn(`${REMOTE_ENV}=${fromEnv} is set in this environment and takes precedence over the configured default.`);
}
