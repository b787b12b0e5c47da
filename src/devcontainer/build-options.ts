// `build.options`: flags of `docker build`, which the reference CLI passes to
// the docker CLI. With BuildKit pks does the same (buildkit-options.ts);
// without it (and for the Features image) pks builds through the engine's
// classic POST /build, so each flag
// with an equivalent query parameter is mapped to it; flags about the CLI's
// own output are ignored with a warning; the rest (BuildKit's secrets, SSH,
// outputs, ...) cannot be honoured and are refused rather than dropped: the
// image would silently differ from the one the configuration describes.

import { OperationError } from '../common/errors.js';
import type { BuildHostOptions } from '../engine/index.js';

/** What the flags ask of the build, in the engine's terms. */
export interface BuildFlags {
  buildArgs: Record<string, string>;
  labels: Record<string, string>;
  target?: string;
  cacheFrom: string[];
  noCache?: boolean;
  pull?: boolean;
  host: BuildHostOptions & { extraHosts: string[]; ulimits: Array<{ Name: string; Soft: number; Hard: number }> };
}

export interface ParsedBuildOptions {
  flags: BuildFlags;
  /** One line each for the flags that were left out. */
  ignored: string[];
}

type Apply = (flags: BuildFlags, value: string) => void;

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

function bytes(flag: string): (value: string) => number {
  return (value) => {
    const match = /^(\d+)([bkmg]?)b?$/i.exec(value.trim());
    const unit = UNITS[(match?.[2] ?? '').toLowerCase()];
    if (match?.[1] === undefined || unit === undefined) throw badValue(flag, value, 'a size such as 512m or 2g');
    return Number(match[1]) * unit;
  };
}

function integer(flag: string): (value: string) => number {
  return (value) => {
    if (!/^-?\d+$/.test(value.trim())) throw badValue(flag, value, 'a whole number');
    return Number(value);
  };
}

function keyValue(flag: string, value: string, into: Record<string, string>): void {
  const equals = value.indexOf('=');
  // `--build-arg NAME` takes NAME from the CLI's environment; pks has none to give the engine.
  if (equals <= 0) throw badValue(flag, value, 'NAME=value');
  into[value.slice(0, equals)] = value.slice(equals + 1);
}

function ulimit(value: string): { Name: string; Soft: number; Hard: number } {
  const match = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(value.trim());
  if (match?.[1] === undefined || match[2] === undefined) throw badValue('--ulimit', value, 'name=soft[:hard], e.g. nofile=1024:2048');
  const soft = Number(match[2]);
  return { Name: match[1], Soft: soft, Hard: match[3] === undefined ? soft : Number(match[3]) };
}

function badValue(flag: string, value: string, expected: string): OperationError {
  return new OperationError('E_BUILD_OPTION', `"build.options": ${flag} ${JSON.stringify(value)} is not valid: expected ${expected}.`, {
    hint: 'Fix the value in "build.options" of devcontainer.json.',
  });
}

/** Flags that take a value, by every name they go by. */
const WITH_VALUE: Record<string, Apply> = {
  '--build-arg': (flags, value) => keyValue('--build-arg', value, flags.buildArgs),
  '--label': (flags, value) => keyValue('--label', value, flags.labels),
  '--target': (flags, value) => (flags.target = value),
  '--network': (flags, value) => (flags.host.networkMode = value),
  '--add-host': (flags, value) => {
    if (!/^[^:=\s]+[:=]\S+$/.test(value)) throw badValue('--add-host', value, 'host:ip');
    flags.host.extraHosts.push(value.replace('=', ':'));
  },
  '--cache-from': (flags, value) => flags.cacheFrom.push(value),
  '--platform': (flags, value) => (flags.host.platform = value.toLowerCase()),
  '--shm-size': (flags, value) => (flags.host.shmSize = bytes('--shm-size')(value)),
  '--memory': (flags, value) => (flags.host.memory = bytes('--memory')(value)),
  // -1: unlimited swap, as with docker.
  '--memory-swap': (flags, value) => (flags.host.memorySwap = value.trim() === '-1' ? -1 : bytes('--memory-swap')(value)),
  '--cpu-shares': (flags, value) => (flags.host.cpuShares = integer('--cpu-shares')(value)),
  '--cpu-period': (flags, value) => (flags.host.cpuPeriod = integer('--cpu-period')(value)),
  '--cpu-quota': (flags, value) => (flags.host.cpuQuota = integer('--cpu-quota')(value)),
  '--cpuset-cpus': (flags, value) => (flags.host.cpusetCpus = value),
  '--cpuset-mems': (flags, value) => (flags.host.cpusetMems = value),
  '--cgroup-parent': (flags, value) => (flags.host.cgroupParent = value),
  '--ulimit': (flags, value) => flags.host.ulimits.push(ulimit(value)),
};

const SWITCHES: Record<string, Apply> = {
  '--no-cache': (flags, value) => (flags.noCache = value !== 'false'),
  '--pull': (flags, value) => (flags.pull = value !== 'false'),
};

const SHORT: Record<string, string> = { '-m': '--memory', '-c': '--cpu-shares', '-q': '--quiet', '-t': '--tag', '-f': '--file', '-o': '--output' };

/** Flags about the docker CLI's own behaviour or output, ignored by either builder. */
export const IGNORED: Record<string, { value: boolean; why: string }> = {
  '--progress': { value: true, why: 'pks shows the build output itself' },
  '--quiet': { value: false, why: 'pks shows the build output itself' },
  '--rm': { value: false, why: 'pks always removes the intermediate containers' },
  '--force-rm': { value: false, why: 'pks always removes the intermediate containers' },
  '--tag': { value: true, why: 'pks names the image it builds (pks-<folder>-<id>)' },
  '--disable-content-trust': { value: false, why: 'pks does not verify content trust' },
  '--compress': { value: false, why: 'pks streams the context itself' },
};

/** Refused, each with why. */
const REFUSED: Record<string, string> = {
  '--file': 'set "build.dockerfile" instead',
  '--ssh': 'SSH forwarding into a build needs BuildKit, which is not available here',
  '--secret': 'build secrets need BuildKit, which is not available here',
  '--output': 'pks builds an image on the engine, not an export',
  '--cache-to': 'exporting the build cache needs BuildKit',
  '--build-context': 'named build contexts need BuildKit',
  '--load': 'pks builds on the engine itself',
  '--push': 'pks does not push the image it builds',
  '--builder': 'pks builds with the engine\'s own builder',
  '--iidfile': 'pks reads the image id from the engine',
  '--metadata-file': 'pks reads the image id from the engine',
  '--allow': 'BuildKit entitlements need BuildKit',
  '--attest': 'attestations need BuildKit',
  '--sbom': 'attestations need BuildKit',
  '--provenance': 'attestations need BuildKit',
  '--squash': 'squashing needs an experimental engine',
  '--isolation': 'isolation applies to Windows engines only',
  '--security-opt': 'not supported by the engine for builds on Linux',
};

function refused(flag: string, why: string): OperationError {
  return new OperationError('E_BUILD_OPTION', `"build.options": ${flag} cannot be honoured by pks: ${why}.`, {
    hint: 'Remove it from "build.options" in devcontainer.json, or make BuildKit available (see the warning above). The classic builder takes --build-arg, --target, --network, --add-host, --label, --no-cache, --pull, --platform, --shm-size, --ulimit, --memory, --cpu-* and --cache-from.',
  });
}

export interface FlagWord {
  /** As written (`-m`, `--memory`). */
  given: string;
  /** The long name. */
  name: string;
  /** The value after `=`, if any. */
  inline: string | undefined;
  /** The flag's value: after `=`, else the next word (consumed). */
  takeValue(): string;
}

/** The flags of `build.options` one by one, each able to take its value (`--flag=value` or `--flag value`). */
export function* flagWords(options: readonly string[]): Generator<FlagWord> {
  for (let i = 0; i < options.length; i += 1) {
    const word = options[i] ?? '';
    const equals = word.startsWith('--') ? word.indexOf('=') : -1;
    const given = equals > 0 ? word.slice(0, equals) : word;
    const inline = equals > 0 ? word.slice(equals + 1) : undefined;
    yield {
      given,
      name: SHORT[given] ?? given,
      inline,
      takeValue: () => {
        if (inline !== undefined) return inline;
        const next = options[i + 1];
        if (next === undefined) throw badValue(given, '', 'a value after it');
        i += 1;
        return next;
      },
    };
  }
}

/** Maps `build.options` to the engine's build parameters; an unknown or unsupported flag is an E_BUILD_OPTION error. */
export function parseBuildOptions(options: readonly string[]): ParsedBuildOptions {
  const flags: BuildFlags = { buildArgs: {}, labels: {}, cacheFrom: [], host: { extraHosts: [], ulimits: [] } };
  const ignored: string[] = [];
  for (const { given, name, inline, takeValue } of flagWords(options)) {
    const withValue = WITH_VALUE[name];
    const toggle = SWITCHES[name];
    const skip = IGNORED[name];
    if (withValue !== undefined) withValue(flags, takeValue());
    else if (toggle !== undefined) toggle(flags, inline ?? 'true');
    else if (skip !== undefined) {
      if (skip.value) takeValue();
      ignored.push(`${given} is ignored: ${skip.why}`);
    } else {
      const why = REFUSED[name];
      throw refused(given, why ?? (name.startsWith('-') ? 'it is not a docker build flag pks knows' : 'it is not a flag (build.options takes flags only)'));
    }
  }
  return { flags, ignored };
}
