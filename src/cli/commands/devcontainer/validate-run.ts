// `pks devcontainer validate`: check a project's dev container configuration
// without any engine; only problems are reported (exit 1 on errors, 0 with
// warnings).

import { parseRunArgs } from '../../../core/spawn/run-args.js';
import type { Context } from '../../context.js';
import { load, relative, type ConfigCommandOptions } from './config-run.js';

export async function runValidateCommand(ctx: Context, projectPath: string, options: ConfigCommandOptions): Promise<void> {
  const loaded = await load(ctx, projectPath, options);
  // What spawn would say of runArgs (they are only parsed there), said now.
  const ignored = parseRunArgs(loaded.merged.runArgs ?? []).ignored;
  if (ignored.length > 0) ctx.reporter.warn(`runArgs not supported by pks, ignored: ${ignored.join(' ')}`, undefined, 'W_UNSUPPORTED');
  const count = loaded.warnings.length + (ignored.length > 0 ? 1 : 0);
  ctx.reporter.success(
    `${relative(loaded, loaded.configFile)} is valid${count === 0 ? '' : ` (${count} warning${count === 1 ? '' : 's'})`}.`,
  );
}
