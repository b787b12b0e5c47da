// Reading a project's dev container configuration, start to finish: find the
// file, parse (JSONC), validate, substitute local variables, resolve the
// image source and the Features (in install order), merge their metadata and
// compute the configuration hash. No engine is involved; the base image's own
// metadata is merged later, when the image is prepared.

import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { OperationError, errorMessage, systemErrorCode } from '../common/errors.js';
import { classifyBuildkitOptions } from './buildkit-options.js';
import { computeConfigHash, type ConfigHash } from './config-hash.js';
import { locateConfig, type ConfigChooser } from './config-files.js';
import { withLegacyVscodeProperties } from './legacy-properties.js';
import { CHECKED_OBJECTS, LEGACY_VSCODE_PROPERTIES, devcontainerConfigSchema, type DevcontainerConfig } from './config-schema.js';
import { resolveImageSource, type ImageSource } from './config-source.js';
import { devcontainerId, devcontainerIdLabels } from './devcontainer-id.js';
import { resolveFeatures, type ResolvedFeature } from './feature-resolve.js';
import { metadataEntries, type ImageMetadataEntry } from './image-metadata.js';
import { parseJsonc } from './jsonc.js';
import { mergeConfiguration, parseMountString, type MergedDevcontainerConfig } from './merge.js';
import { ociFeatureFetcher, type FeatureFetcher } from './oci/feature-fetcher.js';
import { substituteLocal, type LocalSubstitutionContext } from './substitute.js';
import { unknownPropertyWarnings, validateDocument, type ConfigWarning } from './validate.js';

export interface LoadDevcontainerOptions {
  /** `--config`: a devcontainer.json to use instead of looking for one (relative to `cwd`). */
  configFile?: string | undefined;
  cwd?: string;
  /** For `${localEnv:…}` and registry credentials. */
  env: Readonly<Record<string, string | undefined>>;
  /** Asked when the project has several configurations and none was named. */
  choose?: ConfigChooser;
  /** The remote host id, if the container goes to a remote engine: part of `${devcontainerId}`. */
  remoteHost?: string | undefined;
  /** Folder name under /workspaces (default: the project folder's name). */
  projectName?: string | undefined;
  /** How published Features are fetched (tests pass a fake). */
  fetcher?: FeatureFetcher;
  /** A published Feature whose registry cannot be reached: fail (default), or skip it with a warning (offline checks). */
  unreachableFeatures?: 'fail' | 'skip';
}

export interface LoadedDevcontainerConfig {
  projectPath: string;
  configFile: string;
  /**
   * Validated devcontainer.json before substitution, legacy top-level VS Code
   * properties read as customizations.vscode: what the image label uses (the
   * hash is of the validated file as written).
   */
  rawConfig: DevcontainerConfig;
  /** With the variables known on this machine substituted (`${containerEnv:…}` remains). */
  config: DevcontainerConfig;
  source: ImageSource;
  /** The workspace folder inside the container (where tools open). */
  workspaceFolder: string;
  /** Where "workspaceMount" puts the project's folder in the container, when it names a target. */
  workspaceMountTarget: string | undefined;
  /** Labels identifying the dev container, from which `devcontainerId` is derived. */
  idLabels: Record<string, string>;
  devcontainerId: string;
  /** In installation order, dependencies included. */
  features: ResolvedFeature[];
  /** Features' and devcontainer.json's metadata entries, unsubstituted (the label format). */
  metadata: ImageMetadataEntry[];
  /** devcontainer.json merged with the Features' metadata (not yet the base image's). */
  merged: MergedDevcontainerConfig;
  configHash: ConfigHash;
  /** Published Features left out because their registry could not be reached (only with unreachableFeatures 'skip'): the hash then misses them. */
  uncheckedFeatures: string[];
  warnings: ConfigWarning[];
}

function unsupportedWarnings(config: DevcontainerConfig, file: string): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  const warn = (property: string, message: string) => warnings.push({ code: 'W_UNSUPPORTED', message, file, property });
  if (config.dockerComposeFile !== undefined) warn('dockerComposeFile', 'Docker Compose configurations are not supported by pks yet; spawning this configuration will fail');
  if ((config.build?.options ?? []).length > 0) {
    try {
      // BuildKit's rules (what the docker CLI takes); an engine without BuildKit refuses more, when it builds.
      for (const message of classifyBuildkitOptions(config.build?.options ?? []).ignored) warn('build.options', message);
    } catch (error) {
      warn('build.options', `${errorMessage(error)} Building this configuration will fail`);
    }
  }
  if (config.userEnvProbe !== undefined && config.userEnvProbe !== 'none') {
    warn('userEnvProbe', '"userEnvProbe" is not applied: hooks and exec get containerEnv and remoteEnv, not what the user\'s shell profile sets (use remoteEnv for those variables)');
  }
  return warnings;
}

/**
 * An absolute, normalised path inside the container; the workspace lives in
 * a volume mounted there or above, so never the root folder.
 */
function containerPath(value: string, what: string, file: string): string {
  const normalized = path.posix.normalize(value).replace(/(.)\/+$/, '$1');
  if (!normalized.startsWith('/') || normalized === '/') {
    throw new OperationError('E_CONFIG_INVALID', `${file}: ${what} must be an absolute folder in the container other than /, not "${value}".`, {
      hint: 'For example "/workspaces/${localWorkspaceFolderBasename}".',
    });
  }
  return normalized;
}

function mountTargetOf(workspaceMount: string | undefined, file: string): string | undefined {
  if (workspaceMount === undefined) return undefined;
  const target = parseMountString(workspaceMount)['target'];
  return target === undefined || target === '' ? undefined : containerPath(target, 'the target of "workspaceMount"', file);
}

async function projectFolder(projectPath: string): Promise<string> {
  const absolute = path.resolve(projectPath);
  try {
    if ((await stat(absolute)).isDirectory()) return absolute;
  } catch (error) {
    if (systemErrorCode(error) !== 'ENOENT' && systemErrorCode(error) !== 'ENOTDIR') throw error;
  }
  throw new OperationError('E_PROJECT_NOT_FOUND', `The project folder ${absolute} does not exist.`, {
    hint: 'Pass the path of a folder that contains .devcontainer/devcontainer.json.',
  });
}

/** Substitutes local variables in metadata entries, as when they are applied. */
export function substituteEntries(entries: readonly ImageMetadataEntry[], context: LocalSubstitutionContext): ImageMetadataEntry[] {
  return entries.map((entry) => substituteLocal(entry, context));
}

export async function loadDevcontainerConfig(projectPath: string, options: LoadDevcontainerOptions): Promise<LoadedDevcontainerConfig> {
  const project = await projectFolder(projectPath);
  const located = await locateConfig(project, {
    configFile: options.configFile,
    cwd: options.cwd ?? project,
    choose: options.choose,
  });
  const configFile = located.file;
  const relativeToCwd = path.relative(options.cwd ?? project, configFile);
  // Relative when the file is below the current folder, else absolute: never ../../x.
  const shownAs = relativeToCwd === '' || relativeToCwd.startsWith('..') ? configFile : relativeToCwd;
  const text = await readFile(configFile, 'utf8');
  const parsed = parseJsonc(text, shownAs);
  const doc = { displayPath: shownAs, text };
  const validated = validateDocument(devcontainerConfigSchema, parsed, doc, 'dev container configuration');
  // Read as customizations.vscode (as VS Code does); the hash keeps the validated file, so no container is rebuilt for it.
  const { config: rawConfig, migrated } = withLegacyVscodeProperties(validated, parsed);
  const warnings = unknownPropertyWarnings(parsed, CHECKED_OBJECTS, doc, (property) =>
    LEGACY_VSCODE_PROPERTIES.has(property) ? `move it into "customizations": { "vscode": { … } }` : undefined,
  ).filter((warning) => warning.property === undefined || !migrated.includes(warning.property));
  warnings.push(...unsupportedWarnings(rawConfig, shownAs));
  if (located.alsoFound.length > 0) {
    const others = located.alsoFound.map((file) => path.relative(options.cwd ?? project, file) || file);
    warnings.push({
      code: 'W_CONFIG_DEFAULT',
      file: shownAs,
      message: `used as the default; this project also has ${others.join(', ')} (choose one with --config <file>)`,
    });
  }

  const idLabels = devcontainerIdLabels(project, configFile, options.remoteHost);
  const id = devcontainerId(idLabels);
  const local: LocalSubstitutionContext = { localWorkspaceFolder: project, env: options.env, devcontainerId: id, configFile: shownAs };
  const defaultWorkspaceFolder = `/workspaces/${options.projectName ?? path.basename(project)}`;
  // In "workspaceMount", ${containerWorkspaceFolder} is "workspaceFolder" or the default, as in the reference CLI.
  const mountContext: LocalSubstitutionContext = { ...local, containerWorkspaceFolder: rawConfig.workspaceFolder ?? defaultWorkspaceFolder };
  const workspaceMountTarget = mountTargetOf(rawConfig.workspaceMount === undefined ? undefined : substituteLocal(rawConfig.workspaceMount, mountContext), shownAs);
  if (rawConfig.workspaceMount !== undefined) {
    warnings.push({
      code: 'W_UNSUPPORTED',
      file: shownAs,
      property: 'workspaceMount',
      message:
        workspaceMountTarget === undefined
          ? '"workspaceMount" names no target and is ignored: pks keeps the workspace in a named volume'
          : `pks keeps the workspace in a named volume: of "workspaceMount" only the target (${workspaceMountTarget}) is used`,
    });
  }
  const context: LocalSubstitutionContext = {
    ...local,
    containerWorkspaceFolder: rawConfig.workspaceFolder ?? workspaceMountTarget ?? defaultWorkspaceFolder,
  };
  const config = substituteLocal(rawConfig, context);
  const workspaceFolder = containerPath(substituteLocal(context.containerWorkspaceFolder ?? '', local), '"workspaceFolder"', shownAs);
  const source = await resolveImageSource(config, configFile, project);

  const fetcher = options.fetcher ?? ociFeatureFetcher({ env: { ...options.env } });
  const resolved = await resolveFeatures({
    features: config.features ?? {},
    overrideFeatureInstallOrder: config.overrideFeatureInstallOrder,
    configDir: path.dirname(configFile),
    projectPath: project,
    fetcher,
    unreachable: options.unreachableFeatures ?? 'fail',
  });
  warnings.push(...resolved.warnings);
  const metadata = metadataEntries([], resolved.features, rawConfig);
  const merged = mergeConfiguration(config, substituteEntries(metadata, context));
  const configHash = await computeConfigHash({
    projectPath: project,
    configFile,
    rawConfig: validated,
    dockerfile: source.kind === 'dockerfile' ? source.dockerfile : undefined,
    composeFiles: source.kind === 'compose' ? source.composeFiles : undefined,
    features: resolved.features,
  });
  return {
    projectPath: project,
    configFile,
    rawConfig,
    config,
    source,
    workspaceFolder,
    workspaceMountTarget,
    idLabels,
    devcontainerId: id,
    features: resolved.features,
    metadata,
    merged,
    configHash,
    uncheckedFeatures: resolved.skipped,
    warnings,
  };
}

/** The substitution context of a loaded configuration (for entries read from images later). */
export function substitutionContext(loaded: LoadedDevcontainerConfig, env: Readonly<Record<string, string | undefined>>): LocalSubstitutionContext {
  return {
    localWorkspaceFolder: loaded.projectPath,
    containerWorkspaceFolder: loaded.workspaceFolder,
    env,
    devcontainerId: loaded.devcontainerId,
  };
}
