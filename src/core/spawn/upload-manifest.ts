// What the volume's copy of the project was when it was uploaded: the size and
// modification time of each file git listed (the repository's own .git left
// out), recorded beside the upload marker. A later spawn that reuses the
// volume compares it with what git lists on this machine now — no hashing,
// no reading of the container's files — and says how many files differ,
// since spawn never uploads over a volume that holds the workspace.

import path from 'node:path';
import * as z from '../../common/zod-mini.js';
import type { TarEntry } from '../../common/tar/tar-writer.js';
import type { EngineClient } from '../../engine/index.js';
import { readContainerFile } from './container-files.js';
import { markerPath } from './volume.js';
import { uploadBase, type WorkspaceLayout } from './workspace-layout.js';
import type { UploadPlan } from './workspace-upload.js';

const manifestSchema = z.object({ uploaded: z.string(), files: z.record(z.string(), z.string()) });
export type UploadManifest = z.infer<typeof manifestSchema>;

function manifestPath(layout: WorkspaceLayout): string {
  return `${markerPath(layout)}.manifest`;
}

/** path → `size:mtime` of the files and symlinks in `plan`, repositories' .git folders left out. */
export function manifestOf(plan: UploadPlan): Record<string, string> {
  const files: Record<string, string> = {};
  for (const file of plan.files) {
    if (file.kind === 'directory' || file.relative.split('/').includes('.git')) continue;
    files[file.relative] = `${file.size}:${file.mtime}`;
  }
  return files;
}

/** The manifest's archive entry, for the upload's trailer (named relative to the upload's base). */
export function uploadManifestEntry(layout: WorkspaceLayout, plan: UploadPlan): TarEntry {
  const content = `${JSON.stringify({ uploaded: new Date().toISOString(), files: manifestOf(plan) })}\n`;
  return { type: 'file', name: path.posix.relative(uploadBase(layout), manifestPath(layout)), mode: 0o644, content: Buffer.from(content) };
}

export async function readUploadManifest(engine: EngineClient, containerId: string, layout: WorkspaceLayout): Promise<UploadManifest | undefined> {
  const data = await readContainerFile(engine, containerId, manifestPath(layout));
  if (data === undefined) return undefined;
  try {
    const parsed = manifestSchema.safeParse(JSON.parse(data.toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The files that differ: changed here since the upload, added here, or gone here. Sorted. */
export function differingFiles(recorded: Readonly<Record<string, string>>, now: Readonly<Record<string, string>>): string[] {
  const differing = new Set<string>();
  for (const [file, stamp] of Object.entries(now)) if (recorded[file] !== stamp) differing.add(file);
  for (const file of Object.keys(recorded)) if (!(file in now)) differing.add(file);
  return [...differing].sort();
}
