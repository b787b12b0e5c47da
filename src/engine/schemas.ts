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
  /** What the engine is made of; Podman lists itself as "Podman Engine". */
  Components: z.nullish(z.array(z.looseObject({ Name: z.string(), Version: z.optional(z.string()) }))),
});
export type EngineVersion = z.infer<typeof engineVersionSchema>;

export const engineInfoSchema = z.looseObject({
  NCPU: z.number(),
  MemTotal: z.number(),
  DockerRootDir: z.string(),
  OperatingSystem: z.string(),
  ServerVersion: z.string(),
  /** The container runtimes the engine offers (`runc`, `nvidia`, ...): GPUs are there when NVIDIA's is. */
  Runtimes: z.optional(z.nullable(z.record(z.string(), z.unknown()))),
  /** `name=seccomp,profile=default`, `name=rootless` (an engine run by an ordinary user), ... */
  SecurityOptions: z.optional(z.nullable(z.array(z.string()))),
  /** Podman's compatible API only: the Buildah it builds with. */
  BuildahVersion: z.optional(z.string()),
});
export type EngineInfo = z.infer<typeof engineInfoSchema>;

/** A container's networks and its address on each (forwarded ports go to one). */
const networkSettingsSchema = z.looseObject({
  IPAddress: z.optional(z.string()),
  Networks: z.nullish(z.record(z.string(), z.looseObject({ IPAddress: z.optional(z.string()) }))),
});
export type NetworkSettings = z.infer<typeof networkSettingsSchema>;

export const containerSummarySchema = z.looseObject({
  Id: z.string(),
  Names: z.pipe(
    z.nullish(z.array(z.string())),
    z.transform((names) => names ?? []),
  ),
  Image: z.string(),
  /** The image's id (`Image` is the name it was created from). */
  ImageID: z.optional(z.string()),
  State: z.string(),
  Status: z.string(),
  /** Unix seconds. */
  Created: z.number(),
  Labels: z.pipe(
    z.nullish(z.record(z.string(), z.string())),
    z.transform((labels) => labels ?? {}),
  ),
  HostConfig: z.nullish(z.looseObject({ NetworkMode: z.optional(z.string()) })),
  NetworkSettings: z.nullish(networkSettingsSchema),
  /** As the inspect's; undefined when the engine leaves them out or shapes them otherwise (then pks inspects). */
  Mounts: z.catch(
    z.optional(z.array(z.looseObject({ Type: z.optional(z.string()), Name: z.optional(z.string()), Source: z.optional(z.string()), Destination: z.string() }))),
    undefined,
  ),
});
export type ContainerSummary = z.infer<typeof containerSummarySchema>;

export const containerSummaryListSchema = z.array(containerSummarySchema);

/** GET /containers/{id}/json: what pks reads of a container. */
export const containerInspectSchema = z.looseObject({
  Id: z.string(),
  /** With the leading slash, as the engine reports it. */
  Name: z.string(),
  Created: z.string(),
  Image: z.string(),
  State: z.looseObject({
    Status: z.string(),
    Running: z.boolean(),
    ExitCode: z.optional(z.number()),
    StartedAt: z.optional(z.string()),
    FinishedAt: z.optional(z.string()),
  }),
  Config: z.looseObject({
    Image: z.optional(z.string()),
    User: z.optional(z.string()),
    Env: z.optional(z.nullable(z.array(z.string()))),
    Labels: z.optional(z.nullable(z.record(z.string(), z.string()))),
  }),
  Mounts: z.optional(
    z.array(
      z.looseObject({ Type: z.optional(z.string()), Name: z.optional(z.string()), Source: z.optional(z.string()), Destination: z.string() }),
    ),
  ),
  /** The execs of the container not yet ended. */
  ExecIDs: z.optional(z.nullable(z.array(z.string()))),
  HostConfig: z.optional(
    z.looseObject({
      NetworkMode: z.optional(z.string()),
      /** `"3000/tcp": [{ HostIp, HostPort }]`: the ports the engine publishes (appPort, `-p`). */
      PortBindings: z.nullish(z.record(z.string(), z.unknown())),
    }),
  ),
  NetworkSettings: z.nullish(networkSettingsSchema),
});
export type ContainerInspect = z.infer<typeof containerInspectSchema>;

/** The answer of a create (container, exec): the new object's id. */
export const createdIdSchema = z.looseObject({ Id: z.string() });

/** POST /containers/{id}/wait. */
export const containerWaitSchema = z.looseObject({ StatusCode: z.number() });

/** GET /exec/{id}/json. */
export const execInspectSchema = z.looseObject({
  ID: z.string(),
  Running: z.boolean(),
  ExitCode: z.nullable(z.number()),
  ProcessConfig: z.looseObject({ entrypoint: z.string(), arguments: z.optional(z.nullable(z.array(z.string()))) }),
});
export type ExecInspect = z.infer<typeof execInspectSchema>;

/** GET /volumes/{name}, POST /volumes/create. */
export const volumeSchema = z.looseObject({
  Name: z.string(),
  Labels: z.optional(z.nullable(z.record(z.string(), z.string()))),
});
export type VolumeInspect = z.infer<typeof volumeSchema>;

/** GET /volumes. */
export const volumeListSchema = z.looseObject({ Volumes: z.nullable(z.array(volumeSchema)) });

/** A network as GET /networks lists it (what pks reads of it). */
export const networkSummarySchema = z.looseObject({ Id: z.string(), Name: z.string(), Labels: z.optional(z.nullable(z.record(z.string(), z.string()))) });
export type NetworkSummary = z.infer<typeof networkSummarySchema>;
export const networkListSchema = z.array(networkSummarySchema);

/** GET /images/{name}/json. */
export const imageInspectSchema = z.looseObject({
  Id: z.string(),
  RepoTags: z.nullish(z.array(z.string())),
  Config: z.nullish(
    z.looseObject({
      User: z.nullish(z.string()),
      Env: z.nullish(z.array(z.string())),
      Entrypoint: z.nullish(z.array(z.string())),
      Cmd: z.nullish(z.array(z.string())),
      Labels: z.nullish(z.record(z.string(), z.string())),
    }),
  ),
});
export type ImageInspect = z.infer<typeof imageInspectSchema>;

/** GET /images/json: one entry. */
export const imageSummarySchema = z.looseObject({
  Id: z.string(),
  /** The image it was built on (classic builder); empty otherwise. */
  ParentId: z.optional(z.string()),
  RepoTags: z.nullish(z.array(z.string())),
  /** Bytes, layers shared with other images included. */
  Size: z.number(),
  /** Unix seconds. */
  Created: z.number(),
  Labels: z.nullish(z.record(z.string(), z.string())),
});
export type ImageSummary = z.infer<typeof imageSummarySchema>;
export const imageSummaryListSchema = z.array(imageSummarySchema);

/** GET /system/df: the volumes' sizes (what pks reads of it). */
export const diskUsageSchema = z.looseObject({
  Volumes: z.nullish(z.array(z.looseObject({ Name: z.string(), UsageData: z.nullish(z.looseObject({ Size: z.number() })) }))),
});
