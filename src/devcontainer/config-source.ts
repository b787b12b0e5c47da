// Where the container's image comes from: an image name, a Dockerfile build,
// or Docker Compose. Paths resolve against the folder holding
// devcontainer.json and must stay inside the project: the build context is
// sent to the engine (possibly a remote one), and a context outside the
// project would upload things the user never meant to share.

import { stat } from 'node:fs/promises';
import path from 'node:path';
import { OperationError, systemErrorCode } from '../common/errors.js';
import type { DevcontainerConfig } from './config-schema.js';

export type ImageSource =
  | { kind: 'image'; image: string }
  | {
      kind: 'dockerfile';
      /** Absolute paths. */
      dockerfile: string;
      context: string;
      args: Record<string, string>;
      target?: string | undefined;
      cacheFrom: string[];
      /** `build.options` (docker build flags), mapped to the engine's build parameters when the image is built. */
      options: string[];
    }
  | { kind: 'compose'; composeFiles: string[]; service: string };

function outside(projectPath: string, file: string): boolean {
  const relative = path.relative(projectPath, file);
  return relative.startsWith('..') || path.isAbsolute(relative);
}

async function kindOf(file: string): Promise<'file' | 'directory' | 'missing'> {
  try {
    return (await stat(file)).isDirectory() ? 'directory' : 'file';
  } catch (error) {
    if (systemErrorCode(error) === 'ENOENT' || systemErrorCode(error) === 'ENOTDIR') return 'missing';
    throw error;
  }
}

/** Determines the image source of a (substituted) configuration, checking the files it names. */
export async function resolveImageSource(config: DevcontainerConfig, configFile: string, projectPath: string): Promise<ImageSource> {
  const configDir = path.dirname(configFile);
  const shown = (file: string) => path.relative(projectPath, file) || '.';
  if (config.dockerComposeFile !== undefined) {
    const files = (Array.isArray(config.dockerComposeFile) ? config.dockerComposeFile : [config.dockerComposeFile]).map((f) => path.resolve(configDir, f));
    if (config.service === undefined) {
      throw new OperationError('E_CONFIG_INVALID', `${shown(configFile)}: "dockerComposeFile" needs "service", the service to work in.`);
    }
    for (const file of files) {
      if ((await kindOf(file)) !== 'file') throw new OperationError('E_COMPOSE_FILE_NOT_FOUND', `The compose file ${file} does not exist.`);
    }
    return { kind: 'compose', composeFiles: files, service: config.service };
  }
  const dockerfileName = config.build?.dockerfile ?? config.dockerFile;
  if (dockerfileName !== undefined) {
    const dockerfile = path.resolve(configDir, dockerfileName);
    const context = path.resolve(configDir, config.build?.context ?? config.context ?? '.');
    if (outside(projectPath, dockerfile)) {
      throw new OperationError('E_BUILD_OUTSIDE_PROJECT', `The Dockerfile ${dockerfile} is outside the project ${projectPath}.`, {
        hint: 'Move the Dockerfile into the project (e.g. next to devcontainer.json) and point "build.dockerfile" at it.',
      });
    }
    if (outside(projectPath, context)) {
      throw new OperationError('E_BUILD_OUTSIDE_PROJECT', `The build context ${context} is outside the project ${projectPath}.`, {
        hint: 'Set "build.context" to a folder inside the project ("." is the folder of devcontainer.json, ".." its parent).',
      });
    }
    if ((await kindOf(dockerfile)) !== 'file') {
      throw new OperationError('E_DOCKERFILE_NOT_FOUND', `The Dockerfile ${shown(dockerfile)} does not exist.`, {
        hint: `"build.dockerfile" is relative to the folder of ${shown(configFile)}.`,
      });
    }
    if ((await kindOf(context)) !== 'directory') {
      throw new OperationError('E_BUILD_CONTEXT_NOT_FOUND', `The build context ${shown(context)} is not a folder.`, {
        hint: `"build.context" is relative to the folder of ${shown(configFile)}.`,
      });
    }
    const cacheFrom = config.build?.cacheFrom;
    return {
      kind: 'dockerfile',
      dockerfile,
      context,
      args: config.build?.args ?? {},
      target: config.build?.target,
      cacheFrom: cacheFrom === undefined ? [] : Array.isArray(cacheFrom) ? cacheFrom : [cacheFrom],
      options: config.build?.options ?? [],
    };
  }
  if (config.image !== undefined && config.image.trim() !== '') return { kind: 'image', image: config.image.trim() };
  throw new OperationError('E_CONFIG_INVALID', `${shown(configFile)} says neither which image to use nor how to build one.`, {
    hint: 'Add "image": "<name>", or "build": { "dockerfile": "Dockerfile" }, or "dockerComposeFile" with "service".',
  });
}
