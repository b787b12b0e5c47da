// Docker Engine API version negotiation, like the docker CLI does it: speak
// the highest version both sides know, and refuse engines too old for pks.

import { OperationError } from '../common/errors.js';

/** The highest API version pks is written against (Docker 24). */
export const MAX_API_VERSION = '1.43';
/** The oldest engine pks supports: Docker 18.06. */
export const MIN_API_VERSION = '1.38';
const MIN_ENGINE_RELEASE = 'Docker 18.06';

/** Compares `major.minor` versions numerically (1.9 < 1.10). */
export function compareApiVersions(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split('.').map(Number);
  const [bMajor = 0, bMinor = 0] = b.split('.').map(Number);
  return aMajor !== bMajor ? aMajor - bMajor : aMinor - bMinor;
}

export function isApiVersion(value: string): boolean {
  return /^\d+\.\d+$/.test(value);
}

export interface EngineApiRange {
  /** The engine's own (highest) API version, `ApiVersion` in /version. */
  apiVersion: string;
  /** The oldest version the engine still accepts, `MinAPIVersion` (absent before API 1.25). */
  minApiVersion?: string | undefined;
}

/**
 * The version to put in every request path: min(engine, MAX_API_VERSION).
 * An engine whose oldest accepted version is above ours (Docker 29 dropped
 * everything below 1.44) would reject /v1.43/ outright, so we then speak its
 * minimum: the API only grows between versions, and pks reads responses
 * loosely, so the calls it makes keep working.
 */
export function negotiateApiVersion(engine: EngineApiRange, target: string): string {
  if (!isApiVersion(engine.apiVersion)) {
    throw new OperationError('E_ENGINE_PROTOCOL', `The engine at ${target} reported an unreadable API version "${engine.apiVersion}".`);
  }
  if (compareApiVersions(engine.apiVersion, MIN_API_VERSION) < 0) {
    throw new OperationError(
      'E_ENGINE_TOO_OLD',
      `The Docker engine at ${target} speaks API ${engine.apiVersion}, older than the minimum pks supports: ` +
        `API ${MIN_API_VERSION} (${MIN_ENGINE_RELEASE}).`,
      { hint: `Upgrade Docker on that host to ${MIN_ENGINE_RELEASE} or newer.` },
    );
  }
  const chosen = compareApiVersions(engine.apiVersion, MAX_API_VERSION) < 0 ? engine.apiVersion : MAX_API_VERSION;
  const floor = engine.minApiVersion;
  if (floor !== undefined && isApiVersion(floor) && compareApiVersions(chosen, floor) < 0) return floor;
  return chosen;
}
