// The engine operations pks performs, named after what they do, with typed
// parameters and parsed answers. Only this layer knows the engine's URL
// paths; core and devcontainer speak these. Retries follow the HTTP method
// (see http-client.ts): reads and removals are retried on a broken
// connection, creates, starts, uploads and execs never are.

import type { Duplex, Readable } from 'node:stream';
import type * as core from 'zod/v4/core';
import { withoutUndefined } from '../common/defined.js';
import { RepeatedParam, type EngineRequest, type EngineResponse, type HijackedConnection, type Query, type QueryValue } from './http-client.js';
import {
  containerInspectSchema,
  containerWaitSchema,
  createdIdSchema,
  diskUsageSchema,
  execInspectSchema,
  imageInspectSchema,
  imageSummaryListSchema,
  networkListSchema,
  volumeListSchema,
  volumeSchema,
  type ContainerInspect,
  type ExecInspect,
  type ImageInspect,
  type ImageSummary,
  type NetworkSummary,
  type VolumeInspect,
} from './schemas.js';

/** Engine filters, e.g. `{ label: ['pks.managed=true'] }`. */
export type EngineFilters = Readonly<Record<string, readonly string[]>>;

export interface RemoveOptions {
  /** Containers: kill a running one first. Images: remove it though tags or containers use it. */
  force?: boolean;
  /** One already gone is not an error. */
  missingOk?: boolean;
  /** Containers: remove its anonymous volumes too (`docker rm -v`); named volumes stay. */
  anonymousVolumes?: boolean;
}

export interface ArchiveUpload {
  /** The folder inside the container the archive is extracted in. */
  path: string;
  /** A tar (or, with `gzip`, a gzipped tar). */
  body: Readable;
  /** The body's exact length when known: sent without chunked framing. */
  bodyLength?: number;
  gzip?: boolean;
  /** Refuse to replace a folder by a file or a file by a folder. */
  noOverwriteDirNonDir?: boolean;
  signal?: AbortSignal;
}

export interface ContainerLogsOptions {
  follow?: boolean | undefined;
  /** Lines from the end; all by default. */
  tail?: number | 'all' | undefined;
  timestamps?: boolean | undefined;
  /** Unix seconds (fractions allowed). */
  since?: number | undefined;
}

export interface ExecCreateOptions {
  cmd: readonly string[];
  attachStdin: boolean;
  tty: boolean;
  user?: string | undefined;
  workdir?: string | undefined;
  /** `KEY=value` entries. */
  env?: readonly string[] | undefined;
  /** Rows and columns of the terminal, for a TTY exec. */
  consoleSize?: { rows: number; cols: number } | undefined;
}

export interface ImagePullOptions {
  /** The `X-Registry-Auth` header value, when there are credentials. */
  registryAuth?: string | undefined;
  signal?: AbortSignal | undefined;
}

/** How the build's containers run; sizes in bytes. */
export interface BuildHostOptions {
  networkMode?: string | undefined;
  /** `host:ip` entries for /etc/hosts. */
  extraHosts?: readonly string[] | undefined;
  platform?: string | undefined;
  shmSize?: number | undefined;
  memory?: number | undefined;
  memorySwap?: number | undefined;
  cpuShares?: number | undefined;
  cpuPeriod?: number | undefined;
  cpuQuota?: number | undefined;
  cpusetCpus?: string | undefined;
  cpusetMems?: string | undefined;
  cgroupParent?: string | undefined;
  ulimits?: ReadonlyArray<{ Name: string; Soft: number; Hard: number }> | undefined;
}

export interface ImageBuildOptions {
  dockerfile: string;
  /** The name to tag the image with, if any. */
  tag?: string | undefined;
  buildArgs?: Readonly<Record<string, string>> | undefined;
  target?: string | undefined;
  cacheFrom?: readonly string[] | undefined;
  labels?: Readonly<Record<string, string>> | undefined;
  noCache?: boolean | undefined;
  pull?: boolean | undefined;
  /** The settings of the build's containers (docker build's --network, --add-host, --shm-size, ...). */
  host?: BuildHostOptions | undefined;
  signal?: AbortSignal | undefined;
}

/** What pks asks of an engine beyond probing it. */
export interface EngineOperations {
  /** Creates a container (not started) named `name` from the engine's create body; its id. */
  createContainer(name: string, body: Readonly<Record<string, unknown>>): Promise<string>;
  inspectContainer(idOrName: string): Promise<ContainerInspect>;
  startContainer(id: string): Promise<'started' | 'already-running'>;
  stopContainer(id: string, options?: { timeoutSeconds?: number | undefined }): Promise<'stopped' | 'already-stopped'>;
  restartContainer(id: string, options?: { timeoutSeconds?: number | undefined }): Promise<void>;
  removeContainer(id: string, options?: RemoveOptions): Promise<void>;
  /** Waits until the container stops; its exit code. */
  waitContainer(id: string): Promise<number>;
  /** The container's output as the engine sends it (multiplexed unless the container has a TTY). */
  containerLogs(id: string, options?: ContainerLogsOptions): Promise<Readable>;
  /** Extracts a tar into the container's filesystem (volumes included, started or not). */
  putArchive(id: string, upload: ArchiveUpload): Promise<void>;
  /** A tar of `path` in the container. */
  getArchive(id: string, path: string): Promise<Readable>;

  createExec(containerId: string, options: ExecCreateOptions): Promise<string>;
  /**
   * Starts the exec attached: the raw stream (multiplexed unless it has a TTY).
   * `consoleSize` sizes a TTY as the process starts where the engine takes it
   * here (Podman); Docker takes it at create (ConsoleSize) and ignores it here.
   */
  startExec(execId: string, options: { tty: boolean; consoleSize?: { rows: number; cols: number } | undefined }): Promise<Duplex>;
  inspectExec(execId: string): Promise<ExecInspect>;
  resizeExec(execId: string, size: { rows: number; cols: number }): Promise<void>;

  createVolume(name: string, labels: Readonly<Record<string, string>>): Promise<VolumeInspect>;
  inspectVolume(name: string): Promise<VolumeInspect>;
  listVolumes(options?: { filters?: EngineFilters }): Promise<VolumeInspect[]>;
  removeVolume(name: string, options?: Pick<RemoveOptions, 'missingOk'>): Promise<void>;

  /** Networks matching the filters (Compose labels its project's networks). */
  listNetworks(options?: { filters?: EngineFilters }): Promise<NetworkSummary[]>;
  removeNetwork(idOrName: string, options?: Pick<RemoveOptions, 'missingOk'>): Promise<void>;

  inspectImage(name: string): Promise<ImageInspect>;
  /** Pulls through the engine; the engine's JSON progress messages. */
  pullImage(image: { repository: string; tag: string }, options?: ImagePullOptions): Promise<Readable>;
  /** Builds from a tar of the context; the engine's JSON build messages. */
  buildImage(context: Readable, options: ImageBuildOptions): Promise<Readable>;
  removeImage(name: string, options?: RemoveOptions): Promise<void>;
  /** Images matching the filters; with `all`, the intermediate ones too. */
  listImages(options?: { filters?: EngineFilters; all?: boolean }): Promise<ImageSummary[]>;
  /** The size of each volume, by name (the engine computes it: slow on a big engine, so only when asked for). */
  volumeSizes(): Promise<Map<string, number>>;
  /** Whether the engine has a network of this name (`bridge` is missing on an engine run with --bridge=none). */
  networkExists(name: string): Promise<boolean>;
}

/** 304 Not Modified is the engine's "it already was". */
const NOT_MODIFIED = 304;
const NOT_FOUND = 404;

const id = encodeURIComponent;

/** An image name or id as a URL path segment; slashes stay, as the engine's routes expect. */
export function imagePath(image: string): string {
  return image.split('/').map(encodeURIComponent).join('/');
}

const nonEmpty = <T extends object>(value: T | undefined): T | undefined =>
  value === undefined || (Array.isArray(value) ? value.length === 0 : Object.keys(value).length === 0) ? undefined : value;

/** POST /build's parameters for the build's containers, as the docker CLI sends them. */
function buildHostQuery(host: BuildHostOptions): Query {
  const query: Record<string, QueryValue> = {
    networkmode: host.networkMode,
    extrahosts: host.extraHosts === undefined || host.extraHosts.length === 0 ? undefined : new RepeatedParam(host.extraHosts),
    platform: host.platform,
    shmsize: host.shmSize,
    memory: host.memory,
    memswap: host.memorySwap,
    cpushares: host.cpuShares,
    cpuperiod: host.cpuPeriod,
    cpuquota: host.cpuQuota,
    cpusetcpus: host.cpusetCpus,
    cpusetmems: host.cpusetMems,
    cgroupparent: host.cgroupParent,
    ulimits: nonEmpty(host.ulimits),
  };
  // Only what was asked for: the request says what the build was given.
  return Object.fromEntries(Object.entries(query).filter(([, value]) => value !== undefined));
}

/** The operations in terms of the raw versioned calls a client makes. */
export abstract class EngineOperationsOverHttp implements EngineOperations {
  abstract request<S extends core.$ZodType>(request: EngineRequest, schema: S): Promise<core.output<S>>;
  abstract requestEmpty(request: EngineRequest): Promise<number>;
  abstract stream(request: EngineRequest): Promise<EngineResponse>;
  abstract hijack(request: EngineRequest): Promise<HijackedConnection>;

  async createContainer(name: string, body: Readonly<Record<string, unknown>>): Promise<string> {
    return (await this.request({ method: 'POST', path: '/containers/create', query: { name }, body }, createdIdSchema)).Id;
  }

  inspectContainer(idOrName: string): Promise<ContainerInspect> {
    return this.request({ path: `/containers/${id(idOrName)}/json` }, containerInspectSchema);
  }

  async startContainer(containerId: string): Promise<'started' | 'already-running'> {
    const status = await this.requestEmpty({ method: 'POST', path: `/containers/${id(containerId)}/start`, okStatuses: [NOT_MODIFIED] });
    return status === NOT_MODIFIED ? 'already-running' : 'started';
  }

  async stopContainer(containerId: string, options: { timeoutSeconds?: number | undefined } = {}): Promise<'stopped' | 'already-stopped'> {
    const status = await this.requestEmpty({ method: 'POST', path: `/containers/${id(containerId)}/stop`, query: { t: options.timeoutSeconds }, okStatuses: [NOT_MODIFIED] });
    return status === NOT_MODIFIED ? 'already-stopped' : 'stopped';
  }

  async restartContainer(containerId: string, options: { timeoutSeconds?: number | undefined } = {}): Promise<void> {
    await this.requestEmpty({ method: 'POST', path: `/containers/${id(containerId)}/restart`, query: { t: options.timeoutSeconds } });
  }

  removeContainer(containerId: string, options: RemoveOptions = {}): Promise<void> {
    return this.remove(`/containers/${id(containerId)}`, options);
  }

  async waitContainer(containerId: string): Promise<number> {
    return (await this.request({ method: 'POST', path: `/containers/${id(containerId)}/wait` }, containerWaitSchema)).StatusCode;
  }

  async containerLogs(containerId: string, options: ContainerLogsOptions = {}): Promise<Readable> {
    const response = await this.stream({
      path: `/containers/${id(containerId)}/logs`,
      query: {
        stdout: 1,
        stderr: 1,
        follow: options.follow === true ? 1 : undefined,
        tail: options.tail ?? 'all',
        timestamps: options.timestamps === true ? 1 : undefined,
        since: options.since === undefined ? undefined : options.since.toFixed(3),
      },
    });
    return response.body;
  }

  async putArchive(containerId: string, upload: ArchiveUpload): Promise<void> {
    await this.requestEmpty({
      method: 'PUT',
      path: `/containers/${id(containerId)}/archive`,
      query: { path: upload.path, noOverwriteDirNonDir: upload.noOverwriteDirNonDir === true ? true : undefined },
      bodyStream: upload.body,
      ...withoutUndefined({ bodyLength: upload.bodyLength }),
      contentType: upload.gzip === true ? 'application/gzip' : 'application/x-tar',
      ...withoutUndefined({ signal: upload.signal }),
    });
  }

  async getArchive(containerId: string, path: string): Promise<Readable> {
    return (await this.stream({ path: `/containers/${id(containerId)}/archive`, query: { path } })).body;
  }

  async createExec(containerId: string, options: ExecCreateOptions): Promise<string> {
    const body = {
      Cmd: options.cmd,
      AttachStdin: options.attachStdin,
      AttachStdout: true,
      AttachStderr: true,
      Tty: options.tty,
      ...withoutUndefined({
        User: options.user,
        WorkingDir: options.workdir,
        Env: options.env,
        ConsoleSize: options.consoleSize === undefined ? undefined : [options.consoleSize.rows, options.consoleSize.cols],
      }),
    };
    return (await this.request({ method: 'POST', path: `/containers/${id(containerId)}/exec`, body }, createdIdSchema)).Id;
  }

  async startExec(execId: string, options: { tty: boolean; consoleSize?: { rows: number; cols: number } | undefined }): Promise<Duplex> {
    // Podman's compat API sizes the terminal from `h` and `w` before the
    // process starts; it ignores ConsoleSize at create, and a resize after the
    // start races with the process reading its size (it may see 0x0).
    const size = options.tty && options.consoleSize !== undefined ? { h: options.consoleSize.rows, w: options.consoleSize.cols } : {};
    return (await this.hijack({ method: 'POST', path: `/exec/${id(execId)}/start`, body: { Detach: false, Tty: options.tty, ...size } })).socket;
  }

  inspectExec(execId: string): Promise<ExecInspect> {
    return this.request({ path: `/exec/${id(execId)}/json` }, execInspectSchema);
  }

  async resizeExec(execId: string, size: { rows: number; cols: number }): Promise<void> {
    await this.requestEmpty({ method: 'POST', path: `/exec/${id(execId)}/resize`, query: { h: size.rows, w: size.cols } });
  }

  createVolume(name: string, labels: Readonly<Record<string, string>>): Promise<VolumeInspect> {
    return this.request({ method: 'POST', path: '/volumes/create', body: { Name: name, Labels: labels } }, volumeSchema);
  }

  inspectVolume(name: string): Promise<VolumeInspect> {
    return this.request({ path: `/volumes/${id(name)}` }, volumeSchema);
  }

  async listVolumes(options: { filters?: EngineFilters } = {}): Promise<VolumeInspect[]> {
    return (await this.request({ path: '/volumes', query: { filters: options.filters } }, volumeListSchema)).Volumes ?? [];
  }

  async removeVolume(name: string, options: Pick<RemoveOptions, 'missingOk'> = {}): Promise<void> {
    await this.requestEmpty({ method: 'DELETE', path: `/volumes/${id(name)}`, ...(options.missingOk === true ? { okStatuses: [NOT_FOUND] } : {}) });
  }

  async networkExists(name: string): Promise<boolean> {
    return (await this.requestEmpty({ path: `/networks/${id(name)}`, okStatuses: [NOT_FOUND] })) !== NOT_FOUND;
  }

  inspectImage(name: string): Promise<ImageInspect> {
    return this.request({ path: `/images/${imagePath(name)}/json` }, imageInspectSchema);
  }

  async pullImage(image: { repository: string; tag: string }, options: ImagePullOptions = {}): Promise<Readable> {
    const response = await this.stream({
      method: 'POST',
      path: '/images/create',
      query: { fromImage: image.repository, tag: image.tag },
      headers: options.registryAuth === undefined ? {} : { 'X-Registry-Auth': options.registryAuth },
      ...withoutUndefined({ signal: options.signal }),
    });
    return response.body;
  }

  async buildImage(context: Readable, options: ImageBuildOptions): Promise<Readable> {
    const response = await this.stream({
      method: 'POST',
      path: '/build',
      query: {
        dockerfile: options.dockerfile,
        t: options.tag,
        buildargs: nonEmpty(options.buildArgs),
        target: options.target,
        cachefrom: nonEmpty(options.cacheFrom),
        labels: nonEmpty(options.labels),
        rm: 1,
        forcerm: 1,
        nocache: options.noCache === true ? 1 : undefined,
        ...(options.pull === true ? { pull: 1 } : {}),
        ...buildHostQuery(options.host ?? {}),
      },
      bodyStream: context,
      contentType: 'application/x-tar',
      ...withoutUndefined({ signal: options.signal }),
    });
    return response.body;
  }

  removeImage(name: string, options: RemoveOptions = {}): Promise<void> {
    return this.remove(`/images/${imagePath(name)}`, options);
  }

  listImages(options: { filters?: EngineFilters; all?: boolean } = {}): Promise<ImageSummary[]> {
    return this.request({ path: '/images/json', query: { filters: options.filters, all: options.all === true ? 1 : undefined } }, imageSummaryListSchema);
  }

  listNetworks(options: { filters?: EngineFilters } = {}): Promise<NetworkSummary[]> {
    return this.request({ path: '/networks', query: { filters: options.filters } }, networkListSchema);
  }

  async removeNetwork(idOrName: string, options: Pick<RemoveOptions, 'missingOk'> = {}): Promise<void> {
    await this.requestEmpty({ method: 'DELETE', path: `/networks/${id(idOrName)}`, ...(options.missingOk === true ? { okStatuses: [NOT_FOUND] } : {}) });
  }

  async volumeSizes(): Promise<Map<string, number>> {
    const usage = await this.request({ path: '/system/df' }, diskUsageSchema);
    return new Map((usage.Volumes ?? []).filter((v) => v.UsageData?.Size !== undefined && v.UsageData.Size >= 0).map((v) => [v.Name, v.UsageData?.Size ?? 0]));
  }

  private async remove(path: string, options: RemoveOptions): Promise<void> {
    await this.requestEmpty({
      method: 'DELETE',
      path,
      query: { force: options.force === true ? 1 : undefined, ...(options.anonymousVolumes === true ? { v: 1 } : {}) },
      ...(options.missingOk === true ? { okStatuses: [NOT_FOUND] } : {}),
    });
  }
}
