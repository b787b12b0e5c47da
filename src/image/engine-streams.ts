// The engine's streamed JSON answers (pull and build progress): one JSON
// object per line, lines split anywhere across chunks. Each message is read
// loosely with a schema; an `error` field ends the operation.

import type { Readable } from 'node:stream';
import * as z from 'zod';
import { OperationError } from '../common/errors.js';

export const progressMessageSchema = z.looseObject({
  status: z.string().optional(),
  id: z.string().optional(),
  progress: z.string().optional(),
  progressDetail: z.looseObject({ current: z.number().optional(), total: z.number().optional() }).optional(),
  stream: z.string().optional(),
  aux: z.looseObject({ ID: z.string().optional() }).optional(),
  error: z.string().optional(),
  errorDetail: z.looseObject({ message: z.string().optional(), code: z.number().optional() }).optional(),
});
export type ProgressMessage = z.infer<typeof progressMessageSchema>;

const LINE_LIMIT = 16 * 1024 * 1024;

/** Parses a newline-delimited JSON stream; lines that are not progress messages are skipped. */
export async function* jsonMessages(body: Readable): AsyncGenerator<ProgressMessage> {
  let pending = '';
  const decoder = new TextDecoder();
  for await (const chunk of body as AsyncIterable<Buffer>) {
    pending += decoder.decode(chunk, { stream: true });
    if (pending.length > LINE_LIMIT) {
      body.destroy();
      throw new OperationError('E_ENGINE_PROTOCOL', 'The engine sent a progress line longer than 16 MB.');
    }
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      const message = parseLine(line);
      if (message !== undefined) yield message;
      newline = pending.indexOf('\n');
    }
  }
  const message = parseLine((pending + decoder.decode()).trim());
  if (message !== undefined) yield message;
}

function parseLine(line: string): ProgressMessage | undefined {
  if (line === '') return undefined;
  try {
    const parsed = progressMessageSchema.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The error carried by a message, if any. */
export function messageError(message: ProgressMessage): string | undefined {
  return message.error ?? message.errorDetail?.message;
}
