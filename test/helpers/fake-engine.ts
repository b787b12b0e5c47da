// An in-memory engine behind the EngineClient interface, for unit tests of
// core logic: containers, volumes, images and execs are plain state that a
// test sets up and reads back, every operation is recorded, and any
// operation can be made to fail (on its Nth call) or to take time. It
// answers as the Docker engine does where pks relies on it: 404 for what is
// missing, 409 for a name taken or a volume in use, 304-style outcomes for a
// start or stop that changes nothing. It speaks no raw HTTP: core code under
// test must use the typed operations.

import { Duplex, PassThrough, Readable, Writable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { OperationError } from '../../src/common/errors.js';
import { tarStream } from '../../src/common/tar/tar-writer.js';
import {
  type ArchiveUpload,
  type ContainerInspect,
  type ContainerLogsOptions,
  type ContainerSummary,
  type EngineClient,
  type EngineFilters,
  type EngineInfo,
  type EngineVersion,
  type ExecCreateOptions,
  type ExecInspect,
  type ImageBuildOptions,
  type ImageInspect,
  type ImageSummary,
  type ImagePullOptions,
  type ListContainersOptions,
  type NetworkSummary,
  type PingResult,
  type RemoveOptions,
  type ToolEndpoint,
  type VolumeInspect,
} from '../../src/engine/index.js';
import {
  connectionLost,
  drain,
  engineError,
  frame,
  hexId,
  jsonLines,
  matchesLabels,
  untar,
  type ExecBehaviour,
  type FakeContainer,
  type FakeExec,
  type FakeImage,
  type FakeOperation,
  type FakeVolume,
} from './fake-engine-state.js';

export { connectionLost, engineError, type ExecBehaviour, type FakeContainer, type FakeExec, type FakeImage, type FakeOperation, type FakeVolume };

interface Failure {
  error: unknown;
  /** The 1-based call of the operation that fails. */
  onCall: number;
}

export class FakeEngine implements EngineClient {
  readonly kind: 'local' | 'ssh';
  readonly target: string;
  readonly containers = new Map<string, FakeContainer>();
  readonly volumes = new Map<string, FakeVolume>();
  readonly images = new Map<string, FakeImage>();
  readonly execs = new Map<string, FakeExec>();
  /** Image references a pull finds in the registry. */
  readonly registry = new Set<string>();
  /** Every operation, as `name argument`, in the order called. */
  readonly calls: string[] = [];
  /** What a started exec does; by default it prints nothing and exits 0. */
  execBehaviour: ExecBehaviour = () => ({ exitCode: 0 });
  engineInfo: EngineInfo = { NCPU: 4, MemTotal: 8 * 1024 ** 3, DockerRootDir: '/var/lib/docker', OperatingSystem: 'Fake Linux', ServerVersion: '99.0.0' };
  diskFree: number | undefined = 100 * 1024 ** 3;
  /** The host user's ids; root by default, so no user is changed (updateRemoteUserUID). */
  userIds: { uid: number; gid: number } | undefined = { uid: 0, gid: 0 };
  closed = false;
  private readonly counts = new Map<FakeOperation, number>();
  private readonly failures = new Map<FakeOperation, Failure[]>();
  private readonly delays = new Map<FakeOperation, number>();
  private sequence = 0;

  constructor(options: { kind?: 'local' | 'ssh'; target?: string } = {}) {
    this.kind = options.kind ?? 'local';
    this.target = options.target ?? 'fake engine';
  }

  /** `operation` throws `error` on its `onCall`th call (counted from the engine's creation; default: its next call). */
  failOn(operation: FakeOperation, error: unknown, options: { onCall?: number } = {}): this {
    const list = this.failures.get(operation) ?? [];
    list.push({ error, onCall: options.onCall ?? (this.counts.get(operation) ?? 0) + 1 });
    this.failures.set(operation, list);
    return this;
  }

  /** Every call of `operation` takes `ms` before it acts. */
  delay(operation: FakeOperation, ms: number): this {
    this.delays.set(operation, ms);
    return this;
  }

  /** How many times `operation` was called. */
  callCount(operation: FakeOperation): number {
    return this.counts.get(operation) ?? 0;
  }

  addImage(reference: string, image: Partial<Omit<FakeImage, 'tags'>> = {}): FakeImage {
    const added: FakeImage = { id: `sha256:${hexId(`image ${reference}`)}`, tags: [reference], env: [], labels: {}, ...image };
    this.images.set(added.id, added);
    return added;
  }

  addVolume(name: string, labels: Record<string, string> = {}): FakeVolume {
    const volume: FakeVolume = { name, labels, files: new Map() };
    this.volumes.set(name, volume);
    return volume;
  }

  addContainer(container: Partial<FakeContainer> & { name: string }): FakeContainer {
    const added: FakeContainer = {
      id: hexId(`container ${container.name} ${(this.sequence += 1)}`),
      image: 'fake-image',
      state: 'running',
      labels: {},
      env: [],
      tty: false,
      mounts: [],
      created: Math.floor(Date.now() / 1000),
      exitCode: 0,
      files: new Map(),
      logs: '',
      ...container,
    };
    this.containers.set(added.id, added);
    return added;
  }

  /** The container by id, id prefix or name; a 404 when there is none. */
  container(idOrName: string): FakeContainer {
    const name = idOrName.replace(/^\//, '');
    for (const container of this.containers.values()) {
      if (container.id === idOrName || container.name === name || (idOrName.length >= 12 && container.id.startsWith(idOrName))) return container;
    }
    throw engineError(404, `No such container: ${idOrName}`);
  }

  /**
   * Where a file of the container lives: in the volume mounted over its path
   * (the deepest mount point), as the engine writes through a volume, else
   * in the container's own files.
   */
  fileStore(container: FakeContainer, file: string): { files: Map<string, Buffer>; key: string } {
    const mount = container.mounts
      .filter((m) => m.type === 'volume' && (file === m.destination || file.startsWith(`${m.destination.replace(/\/$/, '')}/`)))
      .sort((a, b) => b.destination.length - a.destination.length)[0];
    const volume = mount === undefined ? undefined : this.volumes.get(mount.name ?? '');
    if (mount === undefined || volume === undefined) return { files: container.files, key: file };
    return { files: volume.files, key: file.slice(mount.destination.replace(/\/$/, '').length + 1) };
  }

  /** A file as the container sees it (its own, or its volume's); undefined when there is none. */
  fileIn(idOrName: string, file: string): Buffer | undefined {
    const { files, key } = this.fileStore(this.container(idOrName), file);
    return files.get(key);
  }

  private image(reference: string): FakeImage | undefined {
    const full = reference.includes(':') || reference.includes('@') ? reference : `${reference}:latest`;
    return [...this.images.values()].find((image) => image.id === reference || image.tags.includes(reference) || image.tags.includes(full));
  }

  private async enter(operation: FakeOperation, subject = ''): Promise<void> {
    if (this.closed) throw new OperationError('E_ENGINE_CLOSED', `The client for the ${this.target} is closed.`);
    const count = (this.counts.get(operation) ?? 0) + 1;
    this.counts.set(operation, count);
    this.calls.push(subject === '' ? operation : `${operation} ${subject}`);
    const ms = this.delays.get(operation);
    if (ms !== undefined) await new Promise((resolve) => setTimeout(resolve, ms));
    const failure = this.failures.get(operation)?.find((entry) => entry.onCall === count);
    if (failure !== undefined) throw failure.error;
  }

  // Probes.

  async apiVersion(): Promise<string> {
    await this.enter('apiVersion');
    return '1.47';
  }

  async ping(): Promise<PingResult> {
    await this.enter('ping');
    return { apiVersion: '1.47', osType: 'linux' };
  }

  async version(): Promise<EngineVersion> {
    await this.enter('version');
    return { Version: this.engineInfo.ServerVersion, ApiVersion: '1.47', MinAPIVersion: '1.24', Os: 'linux', Arch: 'amd64' };
  }

  async info(): Promise<EngineInfo> {
    await this.enter('info');
    return { ...this.engineInfo };
  }

  async hostDiskFree(path: string): Promise<number | undefined> {
    await this.enter('hostDiskFree', path);
    return this.diskFree;
  }

  /** The fake has no socket a real tool could use: a test that needs one uses a real engine. */
  async toolEndpoint(): Promise<ToolEndpoint> {
    await this.enter('toolEndpoint');
    throw new Error('The fake engine has no Docker API socket for external tools.');
  }

  /** Like an engine reached over tcp://: nothing can be forwarded to its host. */
  async forwardAgent(): Promise<undefined> {
    return undefined;
  }

  async hostUserIds(): Promise<{ uid: number; gid: number } | undefined> {
    await this.enter('hostUserIds');
    return this.userIds;
  }

  /** Nothing listens behind a fake engine: every port refuses. */
  async openTcp(host: string, port: number): Promise<Duplex> {
    await this.enter('openTcp', `${host}:${port}`);
    throw Object.assign(new Error(`connect ECONNREFUSED ${host}:${port}`), { code: 'ECONNREFUSED' });
  }

  async listContainers(options: ListContainersOptions = {}): Promise<ContainerSummary[]> {
    await this.enter('listContainers');
    return [...this.containers.values()]
      .filter((container) => (options.all === true || container.state === 'running') && matchesLabels(container.labels, options.filters))
      .map((container) => ({
        Id: container.id,
        Names: [`/${container.name}`],
        Image: container.image,
        ...(this.image(container.image) === undefined ? {} : { ImageID: this.image(container.image)?.id }),
        State: container.state,
        Status: container.state === 'running' ? 'Up 1 second' : container.state === 'created' ? 'Created' : `Exited (${container.exitCode})`,
        Created: container.created,
        Labels: { ...container.labels },
        Mounts: container.mounts.map((mount) => ({
          Type: mount.type,
          ...(mount.name === undefined ? {} : { Name: mount.name }),
          ...(mount.source === undefined ? {} : { Source: mount.source }),
          Destination: mount.destination,
        })),
      }));
  }

  // Containers.

  async createContainer(name: string, body: Readonly<Record<string, unknown>>): Promise<string> {
    await this.enter('createContainer', name);
    if ([...this.containers.values()].some((container) => container.name === name)) {
      throw engineError(409, `Conflict. The container name "/${name}" is already in use.`);
    }
    const imageName = typeof body.Image === 'string' ? body.Image : '';
    if (this.image(imageName) === undefined) throw engineError(404, `No such image: ${imageName}`);
    const hostConfig = (body.HostConfig ?? {}) as { Mounts?: { Type?: string; Source?: string; Target: string; VolumeOptions?: { Labels?: Record<string, string> } }[] };
    // A volume mount without a source gets an anonymous volume, named by a new 64-hex id, as the engine does.
    const mounts = (hostConfig.Mounts ?? []).map((mount) =>
      mount.Type === 'volume'
        ? { type: 'volume' as const, name: mount.Source === undefined || mount.Source === '' ? hexId(`anonymous volume ${(this.sequence += 1)}`) : mount.Source, destination: mount.Target, anonymous: mount.Source === undefined || mount.Source === '' }
        : { type: 'bind' as const, source: mount.Source ?? '', destination: mount.Target },
    );
    // A named volume that does not exist is made, with the mount's VolumeOptions labels, as Docker does.
    (hostConfig.Mounts ?? []).forEach((mount, i) => {
      const made = mounts[i];
      if (made?.type === 'volume' && !this.volumes.has(made.name ?? '')) this.addVolume(made.name ?? '', { ...(mount.VolumeOptions?.Labels ?? {}) });
    });
    const container = this.addContainer({
      name,
      image: imageName,
      state: 'created',
      labels: { ...((body.Labels ?? {}) as Record<string, string>) },
      env: [...((body.Env ?? []) as string[])],
      tty: body.Tty === true,
      mounts,
      ...(typeof body.User === 'string' ? { user: body.User } : {}),
    });
    return container.id;
  }

  async inspectContainer(idOrName: string): Promise<ContainerInspect> {
    await this.enter('inspectContainer', idOrName);
    const container = this.container(idOrName);
    return {
      Id: container.id,
      Name: `/${container.name}`,
      Created: new Date(container.created * 1000).toISOString(),
      Image: container.image,
      State: { Status: container.state, Running: container.state === 'running', ExitCode: container.exitCode },
      Config: { Image: container.image, User: container.user ?? '', Env: [...container.env], Labels: { ...container.labels }, Tty: container.tty },
      Mounts: container.mounts.map((mount) => ({
        Type: mount.type,
        ...(mount.name === undefined ? {} : { Name: mount.name }),
        ...(mount.source === undefined ? {} : { Source: mount.source }),
        Destination: mount.destination,
      })),
      ExecIDs: [...this.execs.values()].filter((exec) => exec.containerId === container.id && exec.running).map((exec) => exec.id),
    };
  }

  async startContainer(id: string): Promise<'started' | 'already-running'> {
    await this.enter('startContainer', id);
    const container = this.container(id);
    if (container.state === 'running') return 'already-running';
    container.state = 'running';
    return 'started';
  }

  async stopContainer(id: string): Promise<'stopped' | 'already-stopped'> {
    await this.enter('stopContainer', id);
    const container = this.container(id);
    if (container.state !== 'running') return 'already-stopped';
    container.state = 'exited';
    for (const exec of this.execs.values()) if (exec.containerId === container.id) exec.running = false;
    return 'stopped';
  }

  async restartContainer(id: string): Promise<void> {
    await this.enter('restartContainer', id);
    this.container(id).state = 'running';
  }

  async removeContainer(id: string, options: RemoveOptions = {}): Promise<void> {
    await this.enter('removeContainer', id);
    let container: FakeContainer;
    try {
      container = this.container(id);
    } catch (error) {
      if (options.missingOk === true) return;
      throw error;
    }
    if (container.state === 'running' && options.force !== true) {
      throw engineError(409, `cannot remove container "/${container.name}": container is running: stop the container before removing or force remove`);
    }
    this.containers.delete(container.id);
    for (const exec of this.execs.values()) if (exec.containerId === container.id) this.execs.delete(exec.id);
    // `v=1` removes the container's anonymous volumes; named ones stay.
    if (options.anonymousVolumes === true) for (const mount of container.mounts) if (mount.anonymous === true && mount.name !== undefined) this.volumes.delete(mount.name);
  }

  async waitContainer(id: string): Promise<number> {
    await this.enter('waitContainer', id);
    const container = this.container(id);
    if (container.state === 'running') container.state = 'exited';
    return container.exitCode;
  }

  async containerLogs(id: string, options: ContainerLogsOptions = {}): Promise<Readable> {
    await this.enter('containerLogs', id);
    const container = this.container(id);
    let lines = container.logs.split(/(?<=\n)/).filter((line) => line !== '');
    if (typeof options.tail === 'number') lines = options.tail === 0 ? [] : lines.slice(-options.tail);
    return Readable.from(lines.map((line) => (container.tty ? Buffer.from(line) : frame(1, line))));
  }

  async putArchive(id: string, upload: ArchiveUpload): Promise<void> {
    await this.enter('putArchive', `${id} ${upload.path}`);
    const container = this.container(id);
    const data = await drain(upload.body);
    for (const [name, content] of untar(upload.gzip === true ? gunzipSync(data) : data)) {
      const { files, key } = this.fileStore(container, `${upload.path.replace(/\/$/, '')}/${name}`);
      files.set(key, content);
    }
  }

  async getArchive(id: string, path: string): Promise<Readable> {
    await this.enter('getArchive', `${id} ${path}`);
    const content = this.fileIn(id, path);
    if (content === undefined) throw engineError(404, `Could not find the file ${path} in container ${id}`);
    return tarStream([{ type: 'file', name: path.slice(path.lastIndexOf('/') + 1), mode: 0o644, content }]);
  }

  // Execs.

  async createExec(containerId: string, options: ExecCreateOptions): Promise<string> {
    await this.enter('createExec', `${containerId} ${options.cmd.join(' ')}`);
    const container = this.container(containerId);
    if (container.state !== 'running') throw engineError(409, `container ${container.id} is not running`);
    const exec: FakeExec = {
      id: hexId(`exec ${(this.sequence += 1)}`),
      containerId: container.id,
      cmd: [...options.cmd],
      tty: options.tty,
      running: false,
      exitCode: null,
      stdin: '',
      ...(options.user === undefined ? {} : { user: options.user }),
    };
    this.execs.set(exec.id, exec);
    return exec.id;
  }

  async startExec(execId: string, options: { tty: boolean }): Promise<Duplex> {
    await this.enter('startExec', execId);
    const exec = this.execs.get(execId);
    if (exec === undefined) throw engineError(404, `No such exec instance: ${execId}`);
    exec.running = true;
    const output = new PassThrough();
    const input = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        exec.stdin += chunk.toString();
        callback();
      },
    });
    const socket = Duplex.from({ readable: output, writable: input });
    void (async () => {
      const result = await this.execBehaviour(exec);
      if (result.stdout !== undefined) output.write(options.tty ? Buffer.from(result.stdout) : frame(1, result.stdout));
      // A shell wrapper that reports the exit code (exit-report.ts) prints its line last, as the real one does.
      const reports = exec.cmd[0] === '/bin/sh' && exec.cmd[1] === '-c' && (exec.cmd[2] ?? '').includes('pks-exit:');
      const stderr = `${result.stderr ?? ''}${reports ? `\u0000pks-exit:${result.exitCode ?? 0}\n` : ''}`;
      if (stderr !== '') output.write(options.tty ? Buffer.from(stderr) : frame(2, stderr));
      exec.running = false;
      exec.exitCode = result.exitCode ?? 0;
      output.end();
    })().catch((error: unknown) => output.destroy(error instanceof Error ? error : new Error(String(error))));
    return socket;
  }

  async inspectExec(execId: string): Promise<ExecInspect> {
    await this.enter('inspectExec', execId);
    const exec = this.execs.get(execId);
    if (exec === undefined) throw engineError(404, `No such exec instance: ${execId}`);
    return { ID: exec.id, Running: exec.running, ExitCode: exec.exitCode, ProcessConfig: { entrypoint: exec.cmd[0] ?? '', arguments: exec.cmd.slice(1) } };
  }

  async resizeExec(execId: string): Promise<void> {
    await this.enter('resizeExec', execId);
    if (!this.execs.has(execId)) throw engineError(404, `No such exec instance: ${execId}`);
  }

  // Volumes.

  async createVolume(name: string, labels: Readonly<Record<string, string>>): Promise<VolumeInspect> {
    await this.enter('createVolume', name);
    const volume = this.volumes.get(name) ?? this.addVolume(name, { ...labels });
    return { Name: volume.name, Labels: { ...volume.labels } };
  }

  async inspectVolume(name: string): Promise<VolumeInspect> {
    await this.enter('inspectVolume', name);
    const volume = this.volumes.get(name);
    if (volume === undefined) throw engineError(404, `get ${name}: no such volume`);
    return { Name: volume.name, Labels: { ...volume.labels } };
  }

  async listVolumes(options: { filters?: EngineFilters } = {}): Promise<VolumeInspect[]> {
    await this.enter('listVolumes');
    const used = (name: string) => [...this.containers.values()].some((container) => container.mounts.some((mount) => mount.type === 'volume' && mount.name === name));
    const dangling = options.filters?.['dangling']?.[0];
    return [...this.volumes.values()]
      .filter((volume) => matchesLabels(volume.labels, options.filters) && (dangling === undefined || (dangling === 'true') !== used(volume.name)))
      .map((volume) => ({ Name: volume.name, Labels: { ...volume.labels } }));
  }

  async removeVolume(name: string, options: Pick<RemoveOptions, 'missingOk'> = {}): Promise<void> {
    await this.enter('removeVolume', name);
    if (!this.volumes.has(name)) {
      if (options.missingOk === true) return;
      throw engineError(404, `get ${name}: no such volume`);
    }
    const user = [...this.containers.values()].find((container) => container.mounts.some((mount) => mount.type === 'volume' && mount.name === name));
    if (user !== undefined) throw engineError(409, `remove ${name}: volume is in use - [${user.id}]`);
    this.volumes.delete(name);
  }

  async networkExists(name: string): Promise<boolean> {
    await this.enter('networkExists', name);
    return name === 'bridge' || name === 'host' || name === 'none';
  }

  // Networks: the fake engine has none.

  async listNetworks(): Promise<NetworkSummary[]> {
    await this.enter('listNetworks');
    return [];
  }

  async removeNetwork(idOrName: string, options: Pick<RemoveOptions, 'missingOk'> = {}): Promise<void> {
    await this.enter('removeNetwork', idOrName);
    if (options.missingOk !== true) throw engineError(404, `network ${idOrName} not found`);
  }

  // Images.

  async inspectImage(name: string): Promise<ImageInspect> {
    await this.enter('inspectImage', name);
    const image = this.image(name);
    if (image === undefined) throw engineError(404, `No such image: ${name}`);
    return { Id: image.id, RepoTags: [...image.tags], Config: { User: image.user ?? '', Env: [...image.env], Labels: { ...image.labels } } };
  }

  async pullImage(image: { repository: string; tag: string }, _options: ImagePullOptions = {}): Promise<Readable> {
    const reference = `${image.repository}:${image.tag}`;
    await this.enter('pullImage', reference);
    if (!this.registry.has(reference)) {
      const message = `manifest for ${reference} not found: manifest unknown`;
      return jsonLines([{ errorDetail: { message }, error: message }]);
    }
    this.addImage(reference);
    return jsonLines([
      { status: `Pulling from ${image.repository}`, id: image.tag },
      { status: 'Pull complete', id: 'layer1', progressDetail: {} },
      { status: `Status: Downloaded newer image for ${reference}` },
    ]);
  }

  async buildImage(context: Readable, options: ImageBuildOptions): Promise<Readable> {
    await this.enter('buildImage', options.tag ?? '');
    const tar = await drain(context);
    const built = this.addImage(options.tag ?? `built-${hexId(tar.toString('base64')).slice(0, 12)}`, { labels: { ...options.labels } });
    return jsonLines([{ stream: `Step 1/1 : FROM scratch\n` }, { aux: { ID: built.id } }, { stream: `Successfully built ${built.id.slice(7, 19)}\n` }]);
  }

  async removeImage(name: string, options: RemoveOptions = {}): Promise<void> {
    await this.enter('removeImage', name);
    const image = this.image(name);
    if (image === undefined) {
      if (options.missingOk === true) return;
      throw engineError(404, `No such image: ${name}`);
    }
    const user = [...this.containers.values()].find((container) => this.image(container.image)?.id === image.id);
    if (user !== undefined && options.force !== true) {
      throw engineError(409, `conflict: unable to delete ${image.id.slice(7, 19)} (must be forced) - image is being used by stopped container ${user.id.slice(0, 12)}`);
    }
    this.images.delete(image.id);
  }

  async listImages(options: { filters?: EngineFilters } = {}): Promise<ImageSummary[]> {
    await this.enter('listImages');
    return [...this.images.values()]
      .filter((image) => matchesLabels(image.labels, options.filters))
      .map((image) => ({ Id: image.id, ParentId: image.parent ?? '', RepoTags: [...image.tags], Size: image.size ?? 0, Created: image.created ?? 0, Labels: { ...image.labels } }));
  }

  async volumeSizes(): Promise<Map<string, number>> {
    await this.enter('volumeSizes');
    return new Map([...this.volumes.values()].map((volume) => [volume.name, volume.size ?? 0]));
  }

  // Raw calls: not spoken here, so code under test cannot bypass the operations.

  request(): Promise<never> {
    return Promise.reject(this.raw('request'));
  }

  requestEmpty(): Promise<never> {
    return Promise.reject(this.raw('requestEmpty'));
  }

  stream(): Promise<never> {
    return Promise.reject(this.raw('stream'));
  }

  hijack(): Promise<never> {
    return Promise.reject(this.raw('hijack'));
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private raw(method: string): Error {
    return new OperationError('E_INTERNAL', `The fake engine speaks only the typed operations; ${method}() was called.`);
  }
}
