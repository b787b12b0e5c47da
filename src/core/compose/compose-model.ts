// The parts of Compose's resolved project (`compose config`) pks reads: each
// service's image, build and volumes. Compose has already made paths
// absolute and substituted variables; v1 writes volumes in the short form
// (`/src:/dst:ro`), v2 in the long one ({ type, source, target }).

import path from 'node:path';
import { OperationError } from '../../common/errors.js';
import * as z from '../../common/zod-mini.js';

export interface ComposeVolume {
  type: string;
  source?: string | undefined;
  target: string;
}

export interface ComposeService {
  name: string;
  image?: string | undefined;
  /** Built by Compose (it has a `build` section). */
  builds: boolean;
  volumes: ComposeVolume[];
}

export interface ComposeModel {
  /** The files' `version`, when they have one: pks's override file says the same (v1 refuses a mix). */
  version?: string | undefined;
  services: Map<string, ComposeService>;
}

const longVolume = z.looseObject({ type: z.optional(z.string()), source: z.optional(z.string()), target: z.string() });
const serviceSchema = z.looseObject({
  image: z.optional(z.string()),
  build: z.optional(z.unknown()),
  volumes: z.optional(z.array(z.union([z.string(), longVolume]))),
});
const modelSchema = z.looseObject({
  version: z.optional(z.union([z.string(), z.number()])),
  services: z.record(z.string(), z.nullable(serviceSchema)),
});

/** `src:dst[:mode]`, `dst`: an absolute (or ~ or .) source is a bind, another a named volume. */
function shortVolume(spec: string): ComposeVolume {
  const parts = spec.split(':');
  if (parts.length === 1) return { type: 'volume', target: spec };
  const [source = '', target = ''] = parts;
  const bind = path.isAbsolute(source) || source.startsWith('.') || source.startsWith('~');
  return { type: bind ? 'bind' : 'volume', source, target };
}

export function parseComposeModel(data: unknown): ComposeModel {
  const parsed = modelSchema.safeParse(data);
  if (!parsed.success) {
    throw new OperationError('E_COMPOSE_CONFIG', 'Compose resolved the project into something pks cannot read (no "services").', {
      details: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
    });
  }
  const services = new Map<string, ComposeService>();
  for (const [name, service] of Object.entries(parsed.data.services)) {
    services.set(name, {
      name,
      image: service?.image,
      builds: service?.build !== undefined,
      volumes: (service?.volumes ?? []).map((volume) =>
        typeof volume === 'string' ? shortVolume(volume) : { type: volume.type ?? 'volume', source: volume.source, target: volume.target },
      ),
    });
  }
  const version = parsed.data.version;
  return { version: version === undefined ? undefined : String(version), services };
}

/** The services `up` starts: runServices (all when not given), and the workspace service. */
export function servicesToRun(model: ComposeModel, service: string, runServices: readonly string[] | undefined): string[] {
  const wanted = runServices === undefined ? [...model.services.keys()] : [...runServices];
  if (!wanted.includes(service)) wanted.push(service);
  const missing = wanted.filter((name) => !model.services.has(name));
  if (missing.length > 0) {
    const known = [...model.services.keys()].join(', ') || 'none';
    throw new OperationError('E_COMPOSE_CONFIG', `The Compose files have no service ${missing.map((m) => `"${m}"`).join(', ')} (their services: ${known}).`, {
      hint: 'Check "service" and "runServices" in devcontainer.json against the Compose files.',
    });
  }
  return wanted;
}

function isWithin(folder: string, parent: string): boolean {
  const relative = path.relative(parent, folder);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/** The service's bind mounts of the project folder (or a folder above it): the workspace volume takes their place. */
export function projectBinds(service: ComposeService, projectPath: string): ComposeVolume[] {
  return service.volumes.filter((volume) => volume.type === 'bind' && volume.source !== undefined && isWithin(projectPath, volume.source));
}

/** The other bind mounts of the services that run: folders of this machine, which a remote engine does not have. */
export function otherBinds(model: ComposeModel, services: readonly string[], workspaceService: string, projectPath: string): { service: string; volume: ComposeVolume }[] {
  const found: { service: string; volume: ComposeVolume }[] = [];
  for (const name of services) {
    const service = model.services.get(name);
    if (service === undefined) continue;
    const replaced = new Set(name === workspaceService ? projectBinds(service, projectPath) : []);
    for (const volume of service.volumes) {
      if (volume.type === 'bind' && !replaced.has(volume)) found.push({ service: name, volume });
    }
  }
  return found;
}
