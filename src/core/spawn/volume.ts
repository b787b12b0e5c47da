// The named volume that holds the workspace, and the marker that says an
// upload into it finished (an interrupted upload is redone, a finished one is
// never uploaded over).

import path from 'node:path';
import * as z from '../../common/zod-mini.js';
import type { TarEntry } from '../../devcontainer/tar/tar-writer.js';
import { isEngineApiError, type EngineClient } from '../../engine/index.js';

/** True when this call created the volume (so a failed spawn may remove it). */
export async function ensureVolume(engine: EngineClient, name: string, labels: Record<string, string>): Promise<boolean> {
  try {
    await engine.request({ path: `/volumes/${encodeURIComponent(name)}` }, z.looseObject({ Name: z.string() }));
    return false;
  } catch (error) {
    if (!isEngineApiError(error, 404)) throw error;
  }
  const volumeLabels = Object.fromEntries(Object.entries(labels).filter(([, value]) => value !== ''));
  await engine.request({ method: 'POST', path: '/volumes/create', body: { Name: name, Labels: volumeLabels } }, z.looseObject({ Name: z.string() }));
  return true;
}

export async function removeVolume(engine: EngineClient, name: string): Promise<void> {
  await engine.requestEmpty({ method: 'DELETE', path: `/volumes/${encodeURIComponent(name)}`, okStatuses: [404] });
}

function markerPath(destination: string): string {
  return path.posix.join(path.posix.dirname(destination), '.pks-uploads', path.posix.basename(destination));
}

/** The last entry of an upload's archive (relative to the destination's parent). */
export function uploadMarkerEntry(destination: string): TarEntry {
  return { type: 'file', name: path.posix.relative(path.posix.dirname(destination), markerPath(destination)), mode: 0o644, content: Buffer.from(`${new Date().toISOString()}\n`) };
}

export async function isUploadComplete(engine: EngineClient, containerId: string, destination: string): Promise<boolean> {
  try {
    await engine.requestEmpty({ method: 'HEAD', path: `/containers/${encodeURIComponent(containerId)}/archive`, query: { path: markerPath(destination) } });
    return true;
  } catch (error) {
    if (isEngineApiError(error, 404)) return false;
    throw error;
  }
}
