// Whether to gzip the workspace upload. Compression costs CPU on both ends
// and only pays when the link, not the disk or the engine, is the bottleneck:
// a remote engine whose round trip is slow. Source trees compress well; a
// project of already-compressed files gains little, so the data is sampled.

import { closeSync, readSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { openPlannedFile } from '../../common/tar/open-planned.js';
import type { EngineClient } from '../../engine/index.js';
import type { UploadPlan } from './workspace-upload.js';

/** Round trip above which the link is taken as slow (loopback and LAN are well below). */
export const SLOW_LINK_RTT_MS = 10;
/** Compressed/original ratio below which compressing pays. */
const COMPRESSIBLE_RATIO = 0.7;
const SAMPLE_FILES = 20;
/**
 * Below this, compressing cannot save what measuring the link costs (three
 * round trips): at 10 Mbit/s, 256 KiB take 0.2 s; gzip saves at most half.
 */
export const SMALL_UPLOAD_BYTES = 256 * 1024;
const SAMPLE_BYTES_PER_FILE = 16 * 1024;

async function medianPingMs(engine: EngineClient): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 3; i += 1) {
    const started = performance.now();
    await engine.ping();
    samples.push(performance.now() - started);
  }
  return samples.sort((a, b) => a - b)[1] ?? 0;
}

/** Compressed size over original size of a sample of the largest files. */
async function sampleRatio(projectPath: string, plan: UploadPlan): Promise<number> {
  const largest = [...plan.files].filter((f) => f.kind === 'file' && f.size > 0).sort((a, b) => b.size - a.size).slice(0, SAMPLE_FILES);
  let original = 0;
  let compressed = 0;
  for (const file of largest) {
    // The planned file or nothing (the upload then says what became of it).
    const fd = await openPlannedFile(path.join(projectPath, file.relative), file.identity).catch(() => undefined);
    if (fd === undefined) continue;
    try {
      const buffer = Buffer.alloc(Math.min(SAMPLE_BYTES_PER_FILE, file.size));
      const bytesRead = readSync(fd, buffer, 0, buffer.length, 0);
      original += bytesRead;
      compressed += gzipSync(buffer.subarray(0, bytesRead), { level: 1 }).length;
    } finally {
      closeSync(fd);
    }
  }
  return original === 0 ? 1 : compressed / original;
}

export interface CompressionChoice {
  gzip: boolean;
  reason: string;
}

export async function chooseCompression(engine: EngineClient, projectPath: string, plan: UploadPlan): Promise<CompressionChoice> {
  if (engine.kind !== 'ssh') return { gzip: false, reason: 'local engine' };
  // Both checks on this machine first: the link is measured only when they leave it to decide.
  if (plan.totalBytes < SMALL_UPLOAD_BYTES) return { gzip: false, reason: `small upload (${plan.totalBytes} bytes)` };
  const ratio = await sampleRatio(projectPath, plan);
  if (ratio > COMPRESSIBLE_RATIO) return { gzip: false, reason: `data barely compresses (${Math.round(ratio * 100)}%)` };
  const rtt = await medianPingMs(engine);
  if (rtt < SLOW_LINK_RTT_MS) return { gzip: false, reason: `fast link (${rtt.toFixed(1)} ms round trip)` };
  return { gzip: true, reason: `slow link (${rtt.toFixed(0)} ms round trip), data compresses to ${Math.round(ratio * 100)}%` };
}
