// The image that installs Features on top of a base image: a generated
// Dockerfile and, in the build context, one folder per Feature with its own
// files, its options (devcontainer-features.env) and a wrapper that runs
// install.sh as the spec says (as root, options and the _REMOTE_USER /
// _CONTAINER_USER variables in the environment). Each Feature's containerEnv
// becomes ENV before its install, so later Features see it, as in the
// reference CLI. The devcontainer.metadata label is set on the result.

import { lstat, readdir, readlink, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { optionsEnvFile, shellQuote } from '../devcontainer/feature-options.js';
import type { ResolvedFeature } from '../devcontainer/feature-resolve.js';
import { tarStream, type TarEntry } from '../common/tar/tar-writer.js';

/** Where the Features' files go in the image. */
export const FEATURES_DIR = '/tmp/pks-features';

export interface FeatureInstall {
  feature: ResolvedFeature;
  /** Folder with the Feature's files on the local disk. */
  folder: string;
}

export interface FeaturesBuildInput {
  baseImage: string;
  installs: readonly FeatureInstall[];
  /** The base image's user, restored after installing (installs run as root). */
  imageUser: string;
  containerUser: string;
  remoteUser: string;
  /**
   * devcontainer.json's containerEnv, baked last (after the Features' own),
   * as the reference CLI does, so that the image run on its own has it too.
   */
  containerEnv?: Readonly<Record<string, string>> | undefined;
}

/**
 * `ENV` value quoting: double quotes, with `"` and `\` escaped; `${VAR}` still
 * expands unless `literal`, which escapes `$` too (devcontainer.json's values
 * are the container's environment as written, not Dockerfile expressions).
 */
export function dockerfileQuote(value: string, options: { literal?: boolean } = {}): string {
  const escaped = value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
  return `"${options.literal === true ? escaped.replace(/\$/g, '\\$') : escaped}"`;
}

function envInstruction(env: Readonly<Record<string, string>>, options: { literal?: boolean } = {}): string[] {
  const entries = Object.entries(env);
  return entries.length === 0 ? [] : [`ENV ${entries.map(([key, value]) => `${key}=${dockerfileQuote(value, options)}`).join(' \\\n    ')}`];
}

/** A folder name for each Feature inside the context: order and a readable id. */
function folderName(index: number, feature: ResolvedFeature): string {
  const id = feature.metadata.id.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 40);
  return `${String(index).padStart(2, '0')}-${id}`;
}

/** Runs install.sh with the options and the user variables, and names the Feature if it fails. */
function installWrapper(feature: ResolvedFeature, input: FeaturesBuildInput): string {
  const name = feature.metadata.name ?? feature.metadata.id;
  const failure = `ERROR: Feature "${name}" (${feature.userId}) failed to install.${
    feature.metadata.documentationURL === undefined ? '' : ` See ${feature.metadata.documentationURL}`
  }`;
  return [
    '#!/bin/sh',
    'set -e',
    `on_exit() { status=$?; [ "$status" -eq 0 ] || echo ${shellQuote(failure)} >&2; exit "$status"; }`,
    'trap on_exit EXIT',
    // POSIX sh only: images without awk or getent still install Features.
    'user_home() { while IFS=: read -r n _ u _ _ h _; do if [ "$n" = "$1" ] || [ "$u" = "$1" ]; then echo "$h"; return 0; fi; done < /etc/passwd; }',
    `_CONTAINER_USER=${shellQuote(input.containerUser)}`,
    `_REMOTE_USER=${shellQuote(input.remoteUser)}`,
    '_CONTAINER_USER_HOME="$(user_home "$_CONTAINER_USER")"',
    '_REMOTE_USER_HOME="$(user_home "$_REMOTE_USER")"',
    'export _CONTAINER_USER _REMOTE_USER _CONTAINER_USER_HOME _REMOTE_USER_HOME',
    `echo ${shellQuote(`Installing Feature ${name} ${feature.metadata.version ?? ''} (${feature.userId})`)}`,
    'set -a',
    '. ./devcontainer-features.env',
    'set +a',
    'chmod +x ./install.sh',
    './install.sh',
    '',
  ].join('\n');
}

export function featuresDockerfile(input: FeaturesBuildInput): string {
  const lines = [`FROM ${input.baseImage}`];
  if (input.installs.length === 0) return `${lines.join('\n')}\n`;
  lines.push('USER root');
  input.installs.forEach(({ feature }, index) => {
    const folder = folderName(index, feature);
    lines.push(...envInstruction(feature.metadata.containerEnv ?? {}));
    lines.push(`COPY features/${folder}/ ${FEATURES_DIR}/${folder}/`);
    lines.push(`RUN cd ${FEATURES_DIR}/${folder} && chmod -R 0755 . && sh ./pks-install-feature.sh`);
  });
  lines.push(`USER ${input.imageUser === '' ? 'root' : input.imageUser}`);
  lines.push(...envInstruction(input.containerEnv ?? {}, { literal: true }));
  return `${lines.join('\n')}\n`;
}

/** Every file of a Feature folder, recursively, under `prefix` in the context. */
async function* folderEntries(folder: string, prefix: string): AsyncGenerator<TarEntry> {
  const walk = async function* (relative: string): AsyncGenerator<TarEntry> {
    for (const name of (await readdir(path.join(folder, relative))).sort()) {
      const rel = relative === '' ? name : `${relative}/${name}`;
      const full = path.join(folder, rel);
      const info = await lstat(full);
      if (info.isDirectory()) {
        yield { type: 'directory', name: `${prefix}/${rel}`, mode: 0o755 };
        yield* walk(rel);
      } else if (info.isSymbolicLink()) {
        yield { type: 'symlink', name: `${prefix}/${rel}`, linkname: await readlink(full) };
      } else if (info.isFile()) {
        yield { type: 'file', name: `${prefix}/${rel}`, mode: info.mode, size: info.size, path: full };
      }
    }
  };
  yield* walk('');
}

/** The build context: Dockerfile plus one folder per Feature. */
export function featuresContext(input: FeaturesBuildInput): Readable {
  async function* entries(): AsyncGenerator<TarEntry> {
    yield { type: 'file', name: 'Dockerfile', mode: 0o644, content: Buffer.from(featuresDockerfile(input)) };
    for (const [index, install] of input.installs.entries()) {
      const folder = `features/${folderName(index, install.feature)}`;
      yield { type: 'directory', name: folder, mode: 0o755 };
      yield* folderEntries(install.folder, folder);
      yield { type: 'file', name: `${folder}/devcontainer-features.env`, mode: 0o644, content: Buffer.from(optionsEnvFile(install.feature.options)) };
      yield { type: 'file', name: `${folder}/pks-install-feature.sh`, mode: 0o755, content: Buffer.from(installWrapper(install.feature, input)) };
    }
  }
  return tarStream(entries());
}

/** Checks that a Feature folder can be installed (install.sh present). */
export async function hasInstallScript(folder: string): Promise<boolean> {
  try {
    return (await stat(path.join(folder, 'install.sh'))).isFile();
  } catch {
    return false;
  }
}
