// What a key of devcontainer.json's `features` (or of a Feature's `dependsOn`)
// points at: a local folder (`./name`, relative to the folder holding
// devcontainer.json), a Feature published to an OCI registry
// (`registry/namespace/id[:tag|@sha256:digest]`) or a tarball at an http(s)
// URL. The other forms of the spec (deprecated GitHub releases and bare legacy
// ids) are refused with a clear message.

import path from 'node:path';
import { OperationError } from '../common/errors.js';

export interface OciFeatureRef {
  kind: 'oci';
  /** As written by the user. */
  userId: string;
  registry: string;
  /** Repository path without the registry, e.g. `devcontainers/features/node`. */
  repository: string;
  /** Last path segment, e.g. `node`. */
  id: string;
  /** `registry/repository`: the identity of a Feature regardless of version. */
  resource: string;
  tag?: string | undefined;
  digest?: string | undefined;
}

export interface LocalFeatureRef {
  kind: 'local';
  userId: string;
  /** Absolute path of the Feature's folder. */
  path: string;
}

export interface TarballFeatureRef {
  kind: 'tarball';
  userId: string;
  /** The URL, as parsed (http or https, no credentials). */
  url: string;
}

export type FeatureRef = OciFeatureRef | LocalFeatureRef | TarballFeatureRef;

/** An http(s) URL without credentials (they would be printed wherever the Feature is named). */
export function parseTarballFeatureRef(userId: string): TarballFeatureRef {
  let url: URL;
  try {
    url = new URL(userId.trim());
  } catch {
    throw invalid(userId, 'it is not a valid URL', 'Write the tarball\'s address in full, e.g. https://example.com/devcontainer-feature-tool.tgz.');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid(userId, `${url.protocol} URLs are not supported`);
  if (url.username !== '' || url.password !== '') {
    throw invalid('(a URL with credentials)', 'a Feature URL may not carry a user name or password, which would be printed wherever the Feature is named', 'Serve the tarball without credentials in its URL, or publish the Feature to an OCI registry.');
  }
  return { kind: 'tarball', userId, url: url.href };
}

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

function invalid(userId: string, why: string, hint?: string): OperationError {
  return new OperationError('E_FEATURE_REF', `The Feature "${userId}" cannot be used: ${why}.`, {
    hint:
      hint ??
      'Reference a published Feature as registry/namespace/id:version (e.g. ghcr.io/devcontainers/features/node:1) or a local one as ./folder.',
  });
}

/** `localhost`, a name with a dot, or host:port: the first segment names a registry. */
function looksLikeRegistry(segment: string): boolean {
  return segment === 'localhost' || segment.includes('.') || segment.includes(':');
}

export function parseOciFeatureRef(userId: string): OciFeatureRef {
  const all = userId.trim().split('/');
  if (all.length < 2 || !looksLikeRegistry(all[0] ?? '')) {
    throw invalid(
      userId,
      all.length >= 3 ? 'GitHub release references (owner/repo/feature) are deprecated and not supported' : 'it is not a registry reference',
      'Use the Feature\'s OCI reference (see https://containers.dev/features), or ./folder for a Feature in your .devcontainer folder.',
    );
  }
  let rest = userId.trim();
  let digest: string | undefined;
  let tag: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalid(userId, `"${digest}" is not a sha256 digest`);
  } else {
    const colon = rest.lastIndexOf(':');
    if (colon > rest.lastIndexOf('/')) {
      tag = rest.slice(colon + 1);
      rest = rest.slice(0, colon);
      if (!TAG.test(tag)) throw invalid(userId, `"${tag}" is not a valid tag`);
    }
  }
  const segments = rest.split('/');
  const registry = segments[0] ?? '';
  const pathSegments = segments.slice(1).map((s) => s.toLowerCase());
  for (const segment of pathSegments) {
    if (!PATH_COMPONENT.test(segment)) throw invalid(userId, `"${segment}" is not a valid repository name component`);
  }
  const repository = pathSegments.join('/');
  const registryHost = registry.toLowerCase();
  return {
    kind: 'oci',
    userId,
    registry: registryHost,
    repository,
    id: pathSegments[pathSegments.length - 1] ?? '',
    resource: `${registryHost}/${repository}`,
    tag,
    digest,
  };
}

/** The reference to put in a manifest URL: digest, else tag, else `latest`. */
export function ociReference(ref: OciFeatureRef): string {
  return ref.digest ?? ref.tag ?? 'latest';
}

/**
 * Parses a Feature identifier. Local paths resolve against `configDir`, the
 * folder holding devcontainer.json, and must stay inside `projectPath`.
 */
export function parseFeatureRef(userId: string, configDir: string, projectPath: string): FeatureRef {
  if (userId.startsWith('./') || userId.startsWith('../')) {
    const resolved = path.resolve(configDir, userId);
    const relative = path.relative(projectPath, resolved);
    if (relative.startsWith('..') || path.isAbsolute(relative)) {
      throw invalid(userId, `the folder ${resolved} is outside the project ${projectPath}`, 'Keep local Features inside the project, e.g. in .devcontainer/<name>.');
    }
    return { kind: 'local', userId, path: resolved };
  }
  if (/^https?:\/\//i.test(userId)) return parseTarballFeatureRef(userId);
  if (path.isAbsolute(userId)) {
    throw invalid(userId, 'absolute paths are not allowed', 'Reference a local Feature relative to devcontainer.json, as ./folder.');
  }
  if (!userId.includes('/')) {
    throw invalid(
      userId,
      'bare ids are legacy Features, no longer supported',
      'Use the published Feature (see https://containers.dev/features); for a local one, prefix its folder with "./".',
    );
  }
  return parseOciFeatureRef(userId);
}
