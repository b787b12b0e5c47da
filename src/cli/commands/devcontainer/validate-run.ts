// `pks devcontainer validate`: check a project's dev container configuration
// without any engine; only problems are reported (exit 1 on errors, 0 with
// warnings).

import { parseRunArgs } from '../../../core/spawn/run-args.js';
import type { Context } from '../../context.js';
import { present } from '../../present.js';
import { load, relative, type ConfigCommandOptions } from './config-run.js';

export async function runValidateCommand(ctx: Context, projectPath: string, options: ConfigCommandOptions): Promise<void> {
  const loaded = await load(ctx, projectPath, options);
  // What spawn would say of runArgs (they are only parsed there), said now.
  const ignored = parseRunArgs(loaded.merged.runArgs ?? []).ignored;
  if (ignored.length > 0) ctx.reporter.warn(`runArgs not supported by pks, ignored: ${ignored.join(' ')}`, undefined, 'W_UNSUPPORTED');
  const warnings = [
    ...loaded.warnings,
    ...(ignored.length > 0 ? [{ code: 'W_UNSUPPORTED', message: `runArgs not supported by pks, ignored: ${ignored.join(' ')}`, file: relative(loaded, loaded.configFile) }] : []),
  ];
  const count = warnings.length;
  // JSON: the verdict with every warning (each also went to stderr); an invalid configuration never gets here: it is the error outcome.
  present(ctx.reporter, options.format ?? 'table', { configFile: loaded.configFile, valid: true, warnings }, {
    json: (result) => result,
    text: () => ctx.reporter.success(`${relative(loaded, loaded.configFile)} is valid${count === 0 ? '' : ` (${count} warning${count === 1 ? '' : 's'})`}.`),
  });
}
