// `pks devcontainer config`: read a project's dev container configuration
// without any engine and print the resolved and merged configuration with its
// hash. The JSON document of `config --format json` is a stable interface:
// see configDocument().

import path from 'node:path';
import { configChooser } from '../../config-chooser.js';
import type { Context } from '../../context.js';
import type { OutputFormat } from '../../options.js';
import { present, type View } from '../../present.js';
import {
  formatWarning,
  loadDevcontainerConfig,
  type LoadedDevcontainerConfig,
} from '../../../devcontainer/index.js';

export interface ConfigCommandOptions {
  config?: string | undefined;
  format?: OutputFormat;
}

export async function load(ctx: Context, projectPath: string, options: ConfigCommandOptions): Promise<LoadedDevcontainerConfig> {
  const loaded = await loadDevcontainerConfig(path.resolve(ctx.cwd, projectPath), {
    configFile: options.config,
    cwd: ctx.cwd,
    env: ctx.env,
    choose: configChooser(ctx),
    // Offline, a published Feature is a warning here: the rest of the configuration is still checked.
    unreachableFeatures: 'skip',
  });
  for (const warning of loaded.warnings) ctx.reporter.warn(formatWarning(warning), undefined, warning.code);
  return loaded;
}

export function relative(loaded: LoadedDevcontainerConfig, file: string): string {
  return path.relative(loaded.projectPath, file).split(path.sep).join('/') || '.';
}

/**
 * The stable JSON document of `pks devcontainer config --format json`:
 * `projectPath`, `configFile` (absolute), `configHash` (SHA-256 hex, the
 * `devcontainer.config.hash` label; null when a published Feature's registry
 * could not be reached and it was never resolved here), `devcontainerId`, `workspaceFolder` (in
 * the container), `source` (`{kind: "image", image}` | `{kind: "dockerfile",
 * dockerfile, context, args, target?, cacheFrom, options}` with project-relative
 * paths | `{kind: "compose", composeFiles, service}`), `features` (in install
 * order: `id`, `kind` local|oci, `version`, effective `options`, `userDefined`,
 * `digest` or `path`), `configuration` (substituted), `mergedConfiguration`
 * (shaped like the reference's read-configuration), `hashInputs` (`kind`,
 * `path`, `sha256` of each input) and `warnings`.
 */
export function configDocument(loaded: LoadedDevcontainerConfig) {
  const source = loaded.source;
  return {
    projectPath: loaded.projectPath,
    configFile: loaded.configFile,
    configHash: loaded.uncheckedFeatures.length === 0 ? loaded.configHash.hash : null,
    devcontainerId: loaded.devcontainerId,
    workspaceFolder: loaded.workspaceFolder,
    source:
      source.kind === 'image'
        ? source
        : source.kind === 'dockerfile'
          ? { ...source, dockerfile: relative(loaded, source.dockerfile), context: relative(loaded, source.context) }
          : { ...source, composeFiles: source.composeFiles.map((file) => relative(loaded, file)) },
    features: loaded.features.map((feature) => ({
      id: feature.userId,
      kind: feature.ref.kind,
      version: feature.metadata.version ?? null,
      options: feature.options,
      userDefined: feature.userDefined,
      digest: feature.manifestDigest,
      path: feature.localFolder === undefined ? undefined : relative(loaded, feature.localFolder),
    })),
    configuration: loaded.config,
    mergedConfiguration: loaded.merged,
    hashInputs: loaded.configHash.inputs,
    warnings: loaded.warnings,
  };
}

function describeSource(loaded: LoadedDevcontainerConfig): string {
  const source = loaded.source;
  if (source.kind === 'image') return `image ${source.image}`;
  if (source.kind === 'compose') return `compose service ${source.service} (${source.composeFiles.map((f) => relative(loaded, f)).join(', ')})`;
  const target = source.target === undefined ? '' : `, target ${source.target}`;
  return `Dockerfile ${relative(loaded, source.dockerfile)} (context ${relative(loaded, source.context)}${target})`;
}

function renderSummary(loaded: LoadedDevcontainerConfig): string {
  const merged = loaded.merged;
  const envText = (env: Readonly<Record<string, string | null>>) =>
    Object.entries(env)
      .map(([key, value]) => `${key}=${value ?? ''}`)
      .join(', ');
  const hookCount = (['onCreateCommands', 'updateContentCommands', 'postCreateCommands', 'postStartCommands', 'postAttachCommands'] as const)
    .filter((key) => merged[key].length > 0)
    .map((key) => `${key.replace(/Commands$/, 'Command')} ×${merged[key].length}`)
    .join(', ');
  const rows: Array<[string, string | undefined]> = [
    ['Config file', relative(loaded, loaded.configFile)],
    ['Name', loaded.config.name],
    ['Source', describeSource(loaded)],
    ['Workspace folder', loaded.workspaceFolder],
    ['Features', loaded.features.map((f) => `${f.userId}${f.metadata.version === undefined ? '' : ` (${f.metadata.version})`}`).join(', ')],
    ['Container user', merged.containerUser],
    ['Remote user', merged.remoteUser],
    ['Container env', envText(merged.containerEnv)],
    ['Remote env', envText(merged.remoteEnv)],
    ['Mounts', (merged.mounts ?? []).map((m) => (typeof m === 'string' ? m : `${m.type}:${m.source ?? ''}→${m.target}`)).join(', ')],
    ['Forward ports', (merged.forwardPorts ?? []).join(', ')],
    ['Privileged', merged.privileged ? 'yes' : undefined],
    ['Init', merged.init ? 'yes' : undefined],
    ['Cap add', (merged.capAdd ?? []).join(', ')],
    ['Security opt', (merged.securityOpt ?? []).join(', ')],
    ['Lifecycle hooks', hookCount],
    ['Config hash', loaded.uncheckedFeatures.length === 0 ? loaded.configHash.hash : `unknown (Features not resolved: ${loaded.uncheckedFeatures.join(', ')})`],
  ];
  const shown = rows.filter((row): row is [string, string] => row[1] !== undefined && row[1] !== '');
  const width = Math.max(...shown.map(([key]) => key.length));
  return shown.map(([key, value]) => `${key.padEnd(width)}  ${value}`).join('\n');
}

export const configView: View<LoadedDevcontainerConfig> = {
  json: configDocument,
  text: (loaded, reporter) => reporter.data(renderSummary(loaded)),
};

export async function runConfigCommand(ctx: Context, projectPath: string, options: ConfigCommandOptions): Promise<void> {
  present(ctx.reporter, options.format ?? 'table', await load(ctx, projectPath, options), configView);
}
