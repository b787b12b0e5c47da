// Schemas for the engine responses pks reads. Objects are loose: engines add
// fields with every release and we take only what we use.

import * as z from '../common/zod-mini.js';

export const engineErrorBodySchema = z.looseObject({ message: z.string() });

export const engineVersionSchema = z.looseObject({
  Version: z.string(),
  ApiVersion: z.string(),
  /** Absent on engines older than API 1.25. */
  MinAPIVersion: z.optional(z.string()),
  Os: z.string(),
  Arch: z.string(),
  KernelVersion: z.optional(z.string()),
});
export type EngineVersion = z.infer<typeof engineVersionSchema>;

export const engineInfoSchema = z.looseObject({
  NCPU: z.number(),
  MemTotal: z.number(),
  DockerRootDir: z.string(),
  OperatingSystem: z.string(),
  ServerVersion: z.string(),
});
export type EngineInfo = z.infer<typeof engineInfoSchema>;

export const containerSummarySchema = z.looseObject({
  Id: z.string(),
  Names: z.pipe(
    z.nullish(z.array(z.string())),
    z.transform((names) => names ?? []),
  ),
  Image: z.string(),
  State: z.string(),
  Status: z.string(),
  /** Unix seconds. */
  Created: z.number(),
  Labels: z.pipe(
    z.nullish(z.record(z.string(), z.string())),
    z.transform((labels) => labels ?? {}),
  ),
});
export type ContainerSummary = z.infer<typeof containerSummarySchema>;

export const containerSummaryListSchema = z.array(containerSummarySchema);
