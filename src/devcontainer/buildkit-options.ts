// `build.options` for a BuildKit build through the docker CLI: the flags of
// `docker build` go to the CLI as they are (normalised to `--flag=value`, so
// a value can never be read as another flag), except those that would make
// pks lose the image (`--output`, `--push`, another `--builder`), grant build
// steps more than a normal build has (`--allow security.insecure`), or read
// files outside the project: a secret's, an SSH key's or a named context's
// local source must be inside the project folder (symlinks resolved).

import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { OperationError } from '../common/errors.js';
import { IGNORED, flagWords } from './build-options.js';

export interface BuildkitOptions {
  /** The flags for the docker CLI, each one `--flag=value` or `--switch[=bool]`. */
  args: string[];
  /** The same options without the BuildKit-only ones, for builds pks makes through the engine API (the Features image). */
  classic: string[];
  /** `--platform`, if given. */
  platform?: string;
  /** One line each for the flags that were left out. */
  ignored: string[];
}

/** Flags passed through with their value; `true` for those only BuildKit has (left out of `classic`). */
const WITH_VALUE: Record<string, boolean> = {
  '--build-arg': false,
  '--label': false,
  '--target': false,
  '--network': false,
  '--add-host': false,
  '--cache-from': false,
  '--platform': false,
  '--shm-size': false,
  '--ulimit': false,
  '--memory': false,
  '--memory-swap': false,
  '--cpu-shares': false,
  '--cpu-period': false,
  '--cpu-quota': false,
  '--cpuset-cpus': false,
  '--cpuset-mems': false,
  '--cgroup-parent': false,
  '--cache-to': true,
  '--secret': true,
  '--ssh': true,
  '--build-context': true,
  '--no-cache-filter': true,
};
const SWITCHES = new Set(['--no-cache', '--pull']);

const REFUSED: Record<string, string> = {
  '--file': 'set "build.dockerfile" instead',
  '--output': 'pks needs the image in the engine, not an export',
  '--load': 'pks always loads the image into the engine',
  '--push': 'pks does not push the image it builds',
  '--builder': 'pks builds with the engine\'s own BuildKit, the engine it spawns on',
  '--iidfile': 'pks reads the image id itself',
  '--metadata-file': 'pks reads the image id itself',
  '--allow': 'pks does not grant build steps extra privileges (network.host, security.insecure)',
  '--attest': 'attestations are not kept in an image loaded into the engine',
  '--sbom': 'attestations are not kept in an image loaded into the engine',
  '--provenance': 'attestations are not kept in an image loaded into the engine',
  '--squash': 'squashing is not supported with BuildKit',
  '--isolation': 'isolation applies to Windows engines only',
  '--security-opt': 'not supported for builds on Linux',
};

function optionError(message: string, hint: string): OperationError {
  return new OperationError('E_BUILD_OPTION', `"build.options": ${message}`, { hint });
}

/** A local source of a secret, SSH key or named context: inside the project, as an absolute path. */
async function insideProject(flag: string, source: string, projectPath: string): Promise<string> {
  const absolute = path.resolve(projectPath, source);
  const [real, project] = await Promise.all([realpath(absolute).catch(() => undefined), realpath(projectPath).catch(() => path.resolve(projectPath))]);
  if (real === undefined) {
    throw optionError(`${flag} names ${source}, which does not exist.`, 'Paths in "build.options" are relative to the project folder.');
  }
  const relative = path.relative(project, real);
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) {
    throw optionError(
      `${flag} reads ${source}, which is outside the project folder${real === absolute ? '' : ` (it leads to ${real})`}.`,
      flag === '--secret'
        ? 'A build reads only files of the project: put the file in the project (and in .gitignore), or pass it from your environment with --secret id=<id>,env=<VARIABLE>.'
        : 'A build reads only files of the project: move what it needs into the project folder.',
    );
  }
  return real;
}

/** `a=1,src=x` → fields in order (docker's CSV of key=value; a bare word is a key without value). */
function fields(value: string): Array<[string, string | undefined]> {
  return value.split(',').map((part) => {
    const equals = part.indexOf('=');
    return equals < 0 ? [part.trim(), undefined] : [part.slice(0, equals).trim(), part.slice(equals + 1)];
  });
}

async function checkedValue(flag: string, value: string, projectPath: string): Promise<string> {
  if (flag === '--secret') {
    const parts = fields(value);
    if (parts.some(([key, v]) => key === 'type' && v === 'env')) return value;
    const checked = await Promise.all(
      parts.map(async ([key, v]) => ((key === 'src' || key === 'source') && v !== undefined ? `${key}=${await insideProject(flag, v, projectPath)}` : v === undefined ? key : `${key}=${v}`)),
    );
    return checked.join(',');
  }
  if (flag === '--ssh') {
    // `default` or `id` alone: the SSH agent of this session; `id=key1,key2`: key files or agent sockets.
    const equals = value.indexOf('=');
    if (equals < 0) return value;
    const paths = await Promise.all(value.slice(equals + 1).split(',').map((p) => insideProject(flag, p, projectPath)));
    return `${value.slice(0, equals)}=${paths.join(',')}`;
  }
  if (flag === '--build-context') {
    const equals = value.indexOf('=');
    if (equals <= 0) throw optionError(`--build-context ${JSON.stringify(value)} is not valid: expected name=source.`, 'Fix the value in "build.options" of devcontainer.json.');
    const source = value.slice(equals + 1);
    // Images, other stages and URLs read nothing from this machine.
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source) || source.startsWith('target:')) return value;
    return `${value.slice(0, equals)}=${await insideProject(flag, source, projectPath)}`;
  }
  return value;
}

type Flag = { name: string; value: string; kind: 'value' | 'buildkit-value' } | { name: string; value: string | undefined; kind: 'switch' };

/** The flags of `build.options` and lines for those left out; an unknown or refused flag is an E_BUILD_OPTION error. No files are read. */
export function classifyBuildkitOptions(options: readonly string[]): { flags: Flag[]; ignored: string[] } {
  const flags: Flag[] = [];
  const ignored: string[] = [];
  for (const { given, name, inline, takeValue } of flagWords(options)) {
    const buildkitOnly = WITH_VALUE[name];
    if (buildkitOnly !== undefined) {
      flags.push({ name, value: takeValue(), kind: buildkitOnly ? 'buildkit-value' : 'value' });
    } else if (SWITCHES.has(name)) {
      if (inline !== undefined && !/^(true|false)$/.test(inline)) throw optionError(`${given}=${inline} is not valid: expected true or false.`, 'Fix "build.options" in devcontainer.json.');
      flags.push({ name, value: inline, kind: 'switch' });
    } else if (IGNORED[name] !== undefined) {
      if (IGNORED[name].value) takeValue();
      ignored.push(`${given} is ignored: ${IGNORED[name].why}`);
    } else {
      const why = REFUSED[name] ?? (name.startsWith('-') ? 'it is not a docker build flag pks knows' : 'it is not a flag (build.options takes flags only)');
      throw optionError(`${given} cannot be honoured by pks: ${why}.`, 'Remove it from "build.options" in devcontainer.json.');
    }
  }
  return { flags, ignored };
}

/** Checks and normalises `build.options` for the docker CLI; an unknown or unsafe flag is an E_BUILD_OPTION error. */
export async function buildkitOptions(options: readonly string[], projectPath: string): Promise<BuildkitOptions> {
  const { flags, ignored } = classifyBuildkitOptions(options);
  const result: BuildkitOptions = { args: [], classic: [], ignored };
  for (const flag of flags) {
    if (flag.kind === 'switch') {
      const word = flag.value === undefined ? flag.name : `${flag.name}=${flag.value}`;
      result.args.push(word);
      result.classic.push(word);
      continue;
    }
    const value = await checkedValue(flag.name, flag.value, projectPath);
    result.args.push(`${flag.name}=${value}`);
    // `--build-arg NAME` takes NAME from the CLI's environment; the engine API has no such form.
    if (flag.kind === 'value' && !(flag.name === '--build-arg' && !value.includes('='))) result.classic.push(`${flag.name}=${value}`);
    if (flag.name === '--platform') result.platform = value.toLowerCase();
  }
  return result;
}

/** `--platform` from runArgs (`--platform x` or `--platform=x`): the build targets it too. */
export function runArgsPlatform(runArgs: readonly string[]): string | undefined {
  let platform: string | undefined;
  runArgs.forEach((word, i) => {
    if (word === '--platform' && runArgs[i + 1] !== undefined) platform = runArgs[i + 1];
    else if (word.startsWith('--platform=')) platform = word.slice('--platform='.length);
  });
  return platform?.toLowerCase();
}
