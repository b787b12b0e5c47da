// The named volume that holds the workspace, and the marker that says an
// upload into it finished (an interrupted upload is redone, a finished one is
// never uploaded over) and records the configuration files as pks left them
// there.

import path from 'node:path';
import * as z from '../../common/zod-mini.js';
import { tarStream, type TarEntry } from '../../common/tar/tar-writer.js';
import { isEngineApiError, type EngineClient, type EngineInfo } from '../../engine/index.js';
import { LABELS } from '../containers/labels.js';
import { readContainerFile } from './container-files.js';
import { uploadBase, type WorkspaceLayout } from './workspace-layout.js';

export async function volumeExists(engine: EngineClient, name: string): Promise<boolean> {
  try {
    await engine.inspectVolume(name);
    return true;
  } catch (error) {
    if (isEngineApiError(error, 404)) return false;
    throw error;
  }
}

/**
 * True when this call created the volume (so a failed spawn may remove it).
 * `known`: whether it existed when this spawn looked (its prerequisites did),
 * so as not to ask twice.
 */
export async function ensureVolume(engine: EngineClient, name: string, labels: Record<string, string>, known?: boolean): Promise<boolean> {
  if (known ?? (await volumeExists(engine, name))) return false;
  await engine.createVolume(name, volumeLabels(labels));
  return true;
}

/** A workspace volume's labels: the container's, without its metadata (the configuration, which is the container's) and the empty ones. */
export function volumeLabels(labels: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).filter(([key, value]) => key !== LABELS.metadata && value !== ''));
}

/**
 * Whether the engine applies the labels of a volume it makes for a
 * container's mount (the Engine API's Mount.VolumeOptions). Docker does;
 * Podman's compatible API makes the volume without them, so there the
 * volume is created on its own first. Podman names itself in /info by its
 * BuildahVersion.
 */
export function labelsNewMountVolumes(info: EngineInfo): boolean {
  return info.BuildahVersion === undefined;
}

export async function removeVolume(engine: EngineClient, name: string): Promise<void> {
  await engine.removeVolume(name, { missingOk: true });
}

/**
 * The marker of a finished upload, in the volume next to the project (for
 * /workspaces/app: /workspaces/.pks-uploads/app). When the volume is mounted
 * at the project's folder itself, inside it: /work/.pks-uploads/workspace.
 */
export function markerPath(layout: WorkspaceLayout): string {
  const name = layout.root === layout.mountPoint ? 'workspace' : path.posix.relative(layout.mountPoint, layout.root);
  return path.posix.join(layout.mountPoint, '.pks-uploads', name);
}

/** What the marker records. */
export interface UploadMarker {
  /**
   * sha256 of each configuration file as pks last put it in the volume (or
   * took it from there): a file that differs from it was edited inside the
   * container. Undefined for markers written before pks recorded them.
   */
  configFiles: Record<string, string> | undefined;
}

const markerSchema = z.object({ configFiles: z.record(z.string(), z.string()) });

/** The marker's archive entry, named relative to `base`, the folder the archive is extracted in. */
export function uploadMarkerEntry(layout: WorkspaceLayout, configFiles: Record<string, string>, base = uploadBase(layout)): TarEntry {
  const content = `${JSON.stringify({ uploaded: new Date().toISOString(), configFiles })}\n`;
  return { type: 'file', name: path.posix.relative(base, markerPath(layout)), mode: 0o644, content: Buffer.from(content) };
}

/** The volume's marker, or undefined when no upload into it finished. */
export async function readUploadMarker(engine: EngineClient, containerId: string, layout: WorkspaceLayout): Promise<UploadMarker | undefined> {
  const data = await readContainerFile(engine, containerId, markerPath(layout));
  if (data === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString('utf8'));
  } catch {
    parsed = undefined; // a marker of an earlier pks: a date only
  }
  const recorded = markerSchema.safeParse(parsed);
  return { configFiles: recorded.success ? recorded.data.configFiles : undefined };
}

/** Rewrites the marker of a finished upload with a new record of the configuration files. */
export async function writeUploadMarker(engine: EngineClient, containerId: string, layout: WorkspaceLayout, configFiles: Record<string, string>): Promise<void> {
  const entry = uploadMarkerEntry(layout, configFiles, layout.mountPoint);
  await engine.putArchive(containerId, { path: layout.mountPoint, body: tarStream([entry]) });
}
