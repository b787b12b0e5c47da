// What each lifecycle hook printed and how it ended, kept with the container:
// one JSON file per hook in /var/lib/pks/hook-logs (beside the run-once
// markers), written as root with mode 0600 through the archive API (no exec,
// so it costs one request and works whatever shell the image has). Kept in
// the container, not in the workspace volume: the output belongs to that
// container's run of the hook (a rebuild runs the hooks again and starts a
// new record; `rm` removes it), it may hold secrets a hook printed, and it
// must never end up in the project's files. `pks devcontainer logs --hooks`
// reads it back, also from a stopped container.

import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as z from '../../common/zod-mini.js';
import { escapeControls } from '../../common/terminal-text.js';
import { tarStream } from '../../common/tar/tar-writer.js';
import { extractTar } from '../../common/tar/tar-reader.js';
import { LIFECYCLE_HOOKS, type LifecycleHook } from '../../devcontainer/image-metadata.js';
import { isEngineApiError, type EngineClient } from '../../engine/index.js';

export const HOOK_LOG_DIR = '/var/lib/pks/hook-logs';
/** The tail of each command's output that is kept. */
const KEPT_BYTES = 64 * 1024;

const recordSchema = z.object({
  hook: z.string(),
  command: z.string(),
  exitCode: z.number(),
  startedAt: z.string(),
  durationMs: z.number(),
  output: z.string(),
});
export type HookRecord = z.infer<typeof recordSchema>;

/** The end of `output`, at most KEPT_BYTES of it. */
export function keptOutput(output: string): string {
  if (Buffer.byteLength(output) <= KEPT_BYTES) return output;
  const tail = Buffer.from(output).subarray(-KEPT_BYTES).toString('utf8').replace(/^\uFFFD+/, '');
  return `[... earlier output left out ...]\n${tail}`;
}

/** Replaces the hook's record in the container with `records` (this run's commands of the hook so far). */
export async function writeHookRecords(engine: EngineClient, containerId: string, hook: LifecycleHook, records: readonly HookRecord[]): Promise<void> {
  const content = Buffer.from(`${JSON.stringify(records)}\n`);
  // Named from /, without entries for the folders: the engine creates the
  // missing ones and leaves the modes of existing ones alone.
  const root = path.posix.parse(HOOK_LOG_DIR).root;
  const name = path.posix.relative(root, path.posix.join(HOOK_LOG_DIR, `${hook}.json`));
  await engine.putArchive(containerId, { path: root, body: tarStream([{ type: 'file', name, mode: 0o600, uid: 0, gid: 0, content }]) });
}

/** Every hook's record, in the spec's order; none when no hook ran (or the container predates the records). */
export async function readHookRecords(engine: EngineClient, containerId: string): Promise<HookRecord[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pks-hooks-'));
  try {
    try {
      await extractTar(await engine.getArchive(containerId, HOOK_LOG_DIR), dir, { skipSymlinks: true });
    } catch (error) {
      if (isEngineApiError(error, 404)) return [];
      throw error;
    }
    const folder = path.join(dir, path.posix.basename(HOOK_LOG_DIR));
    const files = await readdir(folder).catch(() => [] as string[]);
    const records: HookRecord[] = [];
    for (const hook of LIFECYCLE_HOOKS) {
      if (!files.includes(`${hook}.json`)) continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(await readFile(path.join(folder, `${hook}.json`), 'utf8'));
      } catch {
        continue; // a record cut short (the container stopped while it was written)
      }
      const checked = z.array(recordSchema).safeParse(parsed);
      if (checked.success) records.push(...checked.data);
    }
    return records;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The records as text: a header line per command (hook, command, exit code, time), then its output. */
export function renderHookRecords(records: readonly HookRecord[]): string {
  return records
    .map((record) => {
      const status = record.exitCode === 0 ? 'succeeded' : `failed with exit code ${record.exitCode}`;
      const output = record.output === '' ? '(no output)\n' : record.output.endsWith('\n') ? record.output : `${record.output}\n`;
      // The header is pks's line (made safe); the output is the hook's own bytes, as logs passes them.
      return `=== ${escapeControls(`${record.hook}: ${record.command}`)} — ${status} (${escapeControls(record.startedAt)}, ${record.durationMs} ms)\n${output}`;
    })
    .join('');
}
