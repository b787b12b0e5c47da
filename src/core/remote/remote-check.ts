// `pks remote test`: reaches a host one layer at a time so that a failure
// names the exact layer that broke (name, network, host key, login, Docker
// socket, engine version) and what to do about it. The same checks run before
// `pks remote add` saves a host, and they record its capabilities.

import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { errorMessage, isInterruption, isPksError } from '../../common/errors.js';
import { NO_RETRY } from '../../common/retry.js';
import { describeEngineProduct, engineProduct, findSshEngineSocket, openSshEngine, type EngineClient } from '../../engine/index.js';
import type { AcceptedHostKey } from '../../ssh/index.js';
import type { RemoteHostCapabilities } from '../../store/remote-host-store.js';
import type { RemoteTarget } from './host-ssh-target.js';

export const CHECK_STEPS = [
  ['resolve', 'resolve name'],
  ['tcp', 'TCP connect'],
  ['host-key', 'host key'],
  ['auth', 'authenticate'],
  ['docker-socket', 'Docker socket'],
  ['engine-version', 'engine version'],
  ['disk', 'free disk'],
  ['latency', 'API latency'],
] as const;
export type CheckStepName = (typeof CHECK_STEPS)[number][0];
export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip';

export interface CheckStep {
  name: CheckStepName;
  title: string;
  status: CheckStatus;
  detail: string;
  hint?: string;
  code?: string;
  durationMs: number;
}

export interface CheckResult {
  ok: boolean;
  steps: CheckStep[];
  capabilities?: RemoteHostCapabilities;
  /** The engine socket found when the configured one was not usable (see `findSocket`). */
  foundSocket?: string;
}

export interface CheckOptions {
  onStep?: ((step: CheckStep) => void) | undefined;
  /**
   * When the configured socket cannot be used, look for the engine's socket
   * (the Docker socket, else Podman's rootless or root socket) and use it.
   */
  findSocket?: boolean | undefined;
}

/** What `remote test` says about a Podman engine: what works differently there. */
export const PODMAN_NOTES =
  'on Podman: no BuildKit (images build with Buildah through the classic build API); run rootless, the containers\' root is the SSH user on the host';

/** Below this much free space under the engine's root, the disk step warns. */
export const LOW_DISK_BYTES = 2 * 1024 ** 3;
const LATENCY_SAMPLES = 5;

class StepRunner {
  readonly steps: CheckStep[] = [];
  constructor(private readonly onStep: ((step: CheckStep) => void) | undefined) {}

  /** Records a step and reports it; its hint is `hint`, else the error's. */
  record(name: CheckStepName, status: CheckStatus, detail: string, started: number, error?: unknown, hint?: string): CheckStep {
    const title = CHECK_STEPS.find(([n]) => n === name)?.[1] ?? name;
    const step: CheckStep = { name, title, status, detail, durationMs: Math.round(performance.now() - started) };
    if (isPksError(error)) step.code = error.code;
    const stepHint = hint ?? (isPksError(error) ? error.hint : undefined);
    if (stepHint !== undefined) step.hint = stepHint;
    this.steps.push(step);
    this.onStep?.(step);
    return step;
  }

  skipRest(reason: string): void {
    for (const [name] of CHECK_STEPS) {
      if (!this.steps.some((s) => s.name === name)) this.record(name, 'skip', reason, performance.now());
    }
  }
}

async function tcpProbe(host: string, port: number, timeoutMs: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => socket.destroy(Object.assign(new Error(`timed out after ${timeoutMs} ms`), { code: 'ETIMEDOUT' })), timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

export function formatBytes(bytes: number, digits = 1): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : digits)} ${units[unit]}`;
}

export async function checkRemoteHost(target: RemoteTarget, options: CheckOptions = {}): Promise<CheckResult> {
  const run = new StepRunner(options.onStep);
  const { host, port } = target.options;
  const timeoutMs = target.options.readyTimeoutMs ?? 10_000;
  const viaJump = target.options.jump !== undefined;

  let started = performance.now();
  if (viaJump) {
    run.record('resolve', 'skip', `resolved by the jump host ${target.options.jump?.host ?? ''}`, started);
    run.record('tcp', 'skip', 'connected through the jump host (ProxyJump)', started);
  } else {
    let address: string;
    try {
      address = (await lookup(host)).address;
      run.record('resolve', 'pass', address === host ? host : `${host} → ${address}`, started);
    } catch (error) {
      run.record('resolve', 'fail', `cannot resolve ${host}: ${errorMessage(error)}`, started, error, 'Check the host name (or the HostName of the ~/.ssh/config alias).');
      run.skipRest('not reached');
      return { ok: false, steps: run.steps };
    }
    started = performance.now();
    try {
      await tcpProbe(address, port ?? 22, timeoutMs);
      run.record('tcp', 'pass', `${address}:${port ?? 22} accepts connections`, started);
    } catch (error) {
      run.record('tcp', 'fail', `cannot connect to ${address}:${port ?? 22}: ${errorMessage(error)}`, started, error, `Check that the host is up, sshd listens on port ${port ?? 22}, and no firewall is in the way.`);
      run.skipRest('not reached');
      return { ok: false, steps: run.steps };
    }
  }

  started = performance.now();
  let engine: EngineClient;
  // A key trusted now (asked, or --accept-new-host-key) is what the step reports.
  let accepted: AcceptedHostKey | undefined;
  const prompts = { ...target.options.prompts, hostKeyAccepted: (key: AcceptedHostKey) => (accepted = key) };
  const hostKeyDetail = (): string => (accepted === undefined ? 'matches known_hosts' : `new ${accepted.keyType} key ${accepted.fingerprint} trusted and added to ${accepted.file}`);
  try {
    // A check reports what it sees, at once: no retries.
    engine = await openSshEngine({ ...target.options, prompts, retry: NO_RETRY });
    run.record('host-key', 'pass', hostKeyDetail(), started);
    run.record('auth', 'pass', `logged in as ${target.options.username}`, started);
  } catch (error) {
    // Ctrl-C or Ctrl-D at the host key or passphrase question ends the check.
    if (isInterruption(error)) throw error;
    const code = isPksError(error) ? error.code : '';
    const message = errorMessage(error);
    if (code.startsWith('E_HOST_KEY') || code === 'E_SSH_HANDSHAKE' || code === 'E_SSH_UNREACHABLE' || code.startsWith('E_KNOWN_HOSTS')) {
      run.record('host-key', 'fail', message, started, error);
    } else {
      run.record('host-key', 'pass', hostKeyDetail(), started);
      run.record('auth', 'fail', message, started, error);
    }
    run.skipRest('not reached');
    return { ok: false, steps: run.steps };
  }

  const opened = [engine];
  try {
    let started = performance.now();
    const socket = target.options.socketPath ?? target.entry.dockerSocket;
    let foundSocket: string | undefined;
    try {
      await engine.ping();
      run.record('docker-socket', 'pass', `${socket} answers`, started);
    } catch (error) {
      if (isInterruption(error)) throw error;
      const found = options.findSocket === true ? await findSshEngineSocket(target.options).catch(() => undefined) : undefined;
      if (found === undefined || found === socket) {
        run.record('docker-socket', 'fail', errorMessage(error), started, error);
        run.skipRest('not reached');
        return { ok: false, steps: run.steps };
      }
      started = performance.now();
      engine = await openSshEngine({ ...target.options, socketPath: found, prompts, retry: NO_RETRY });
      opened.push(engine);
      try {
        await engine.ping();
      } catch (foundError) {
        run.record('docker-socket', 'fail', errorMessage(foundError), started, foundError);
        run.skipRest('not reached');
        return { ok: false, steps: run.steps };
      }
      foundSocket = found;
      run.record('docker-socket', 'pass', `${found} answers (nothing usable at ${socket})`, started);
    }
    const result = await checkEngine(engine, run);
    return foundSocket === undefined ? result : { ...result, foundSocket };
  } finally {
    for (const client of opened) await client.close();
  }
}

async function checkEngine(engine: EngineClient, run: StepRunner): Promise<CheckResult> {

  let started = performance.now();
  let capabilities: RemoteHostCapabilities;
  try {
    // Podman computes both answers (package versions, storage) in seconds: ask at once.
    const [version, apiVersion, info] = await Promise.all([engine.version(), engine.apiVersion(), engine.info()]);
    const product = engineProduct(version);
    const notes = product.name === 'podman' ? `; ${PODMAN_NOTES}` : '';
    run.record('engine-version', 'pass', `${describeEngineProduct(product)}, API ${version.ApiVersion} (using ${apiVersion}), ${version.Os}/${version.Arch}${notes}`, started);
    capabilities = {
      engine: product.name,
      engineVersion: version.Version,
      apiVersion: version.ApiVersion,
      os: version.Os,
      arch: version.Arch,
      operatingSystem: info.OperatingSystem,
      kernelVersion: version.KernelVersion,
      cpus: info.NCPU,
      memoryBytes: info.MemTotal,
      dockerRootDir: info.DockerRootDir,
      freeDiskBytes: null,
    };
  } catch (error) {
    run.record('engine-version', 'fail', errorMessage(error), started, error);
    run.skipRest('not reached');
    return { ok: false, steps: run.steps };
  }

  started = performance.now();
  const free = await engine.hostDiskFree(capabilities.dockerRootDir);
  if (free === undefined) {
    run.record('disk', 'warn', `could not read the free space under ${capabilities.dockerRootDir} (the SFTP subsystem is needed)`, started);
  } else {
    capabilities.freeDiskBytes = free;
    const low = free < LOW_DISK_BYTES;
    const hint = low ? 'Images and workspaces may not fit; free some space (e.g. `docker system prune` on the host).' : undefined;
    run.record('disk', low ? 'warn' : 'pass', `${formatBytes(free)} free under ${capabilities.dockerRootDir}`, started, undefined, hint);
  }

  started = performance.now();
  const samples: number[] = [];
  for (let i = 0; i < LATENCY_SAMPLES; i += 1) {
    const t0 = performance.now();
    await engine.ping();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  const median = samples[Math.floor(samples.length / 2)] ?? 0;
  run.record('latency', 'pass', `${median.toFixed(1)} ms median of ${LATENCY_SAMPLES} API pings`, started);
  return { ok: run.steps.every((s) => s.status !== 'fail'), steps: run.steps, capabilities };
}
