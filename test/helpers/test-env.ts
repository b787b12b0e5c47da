// The real test environment (engines, SSH hosts) described by .test-env/env,
// which `scripts/test-env.sh up` writes. Integration tests load it through
// here and fail, never skip, when it is missing or incomplete.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const testEnvFile = path.join(repoRoot, '.test-env', 'env');

export interface RemoteHostEnv {
  host: string;
  port: number;
  user: string;
  key: string;
  /** The engine socket as the SSH login sees it. */
  dockerSocket: string;
  /** The same engine seen from this machine. */
  engineSocket: string;
  netns: string;
  link: string;
  sshdPidFile: string;
  /** The host's dockerd, for fault tests that stop the engine. */
  enginePidFile: string;
}

export interface TestEnv {
  r1: RemoteHostEnv;
  r2: RemoteHostEnv;
  /** The fault host: only the fault tests cut its link, kill its sshd or stop its engine. */
  r3: RemoteHostEnv;
  /**
   * The Podman host: its login user runs rootless Podman, whose socket is
   * `dockerSocket` (nothing at /var/run/docker.sock); `enginePidFile` is the
   * podman service's.
   */
  r4: RemoteHostEnv;
  nodock: { host: string; user: string; key: string };
  knownHosts: string;
  registry: string;
  localSocket: string;
  images: { busybox: string; debian: string };
}

const NOT_UP = 'test environment not up: run scripts/test-env.sh up';

/** Parses `KEY=value` lines; blank lines and `#` comments are ignored. */
export function parseEnvFile(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const at = trimmed.indexOf('=');
    if (at <= 0) continue;
    values.set(trimmed.slice(0, at).trim(), trimmed.slice(at + 1).trim());
  }
  return values;
}

function remote(get: (key: string) => string, prefix: string): RemoteHostEnv {
  const port = Number(get(`${prefix}_PORT`));
  if (!Number.isInteger(port)) throw new Error(`${NOT_UP} (${prefix}_PORT is not a number)`);
  return {
    host: get(`${prefix}_HOST`),
    port,
    user: get(`${prefix}_USER`),
    key: get(`${prefix}_KEY`),
    dockerSocket: get(`${prefix}_DOCKER_SOCKET`),
    engineSocket: get(`${prefix}_ENGINE_SOCKET`),
    netns: get(`${prefix}_NETNS`),
    link: get(`${prefix}_LINK`),
    sshdPidFile: get(`${prefix}_SSHD_PIDFILE`),
    enginePidFile: get(`${prefix}_ENGINE_PIDFILE`),
  };
}

/** Reads and validates .test-env/env; throws "test environment not up" otherwise. */
export function loadTestEnv(file: string = testEnvFile): TestEnv {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`${NOT_UP} (${file} is missing)`);
  }
  const values = parseEnvFile(text);
  const missing: string[] = [];
  const get = (key: string): string => {
    const value = values.get(key);
    if (value === undefined || value === '') {
      missing.push(key);
      return '';
    }
    return value;
  };
  const env: TestEnv = {
    r1: remote(get, 'PKS_TEST_R1'),
    r2: remote(get, 'PKS_TEST_R2'),
    r3: remote(get, 'PKS_TEST_R3'),
    r4: remote(get, 'PKS_TEST_R4'),
    nodock: { host: values.get('PKS_TEST_NODOCK_HOST') ?? get('PKS_TEST_R1_HOST'), user: get('PKS_TEST_NODOCK_USER'), key: get('PKS_TEST_NODOCK_KEY') },
    knownHosts: get('PKS_TEST_KNOWN_HOSTS'),
    registry: get('PKS_TEST_REGISTRY'),
    localSocket: get('PKS_TEST_LOCAL_SOCKET'),
    images: { busybox: get('PKS_TEST_IMAGE_BUSYBOX'), debian: get('PKS_TEST_IMAGE_DEBIAN') },
  };
  if (missing.length > 0) throw new Error(`${NOT_UP} (${file} lacks ${missing.join(', ')})`);
  return env;
}

export interface ScriptResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** True when the process did not exit by itself and had to be killed. */
  killed: boolean;
}

/**
 * Runs an ES module given as text (plain JS that may import our TypeScript
 * through tsx) in a fresh Node process. `killAfterMs` is a liveness guard,
 * not a timing assertion: a client that forgets a socket keeps Node alive.
 */
export function runNodeScript(code: string, killAfterMs = 15_000): Promise<ScriptResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: repoRoot });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, killAfterMs);
    child.on('exit', (exitCode) => {
      clearTimeout(timer);
      resolve({ code: exitCode, stdout, stderr, killed });
    });
  });
}

/**
 * Opens an engine with `open` (openLocalEngine or openSshEngine) and
 * `argument` in a Node process of its own, lists its containers and closes
 * it; that process must then exit by itself (nothing left keeping it alive).
 */
export async function listsAndExits(open: 'openLocalEngine' | 'openSshEngine', argument: unknown): Promise<void> {
  const result = await runNodeScript(`
    import { ${open} } from ${JSON.stringify(path.join(repoRoot, 'src/engine/index.ts'))};
    const client = await ${open}(${JSON.stringify(argument)});
    const containers = await client.listContainers({ all: true });
    await client.close();
    console.log('listed', containers.length);
  `);
  assert.equal(result.killed, false, 'the process had to be killed: something kept it alive');
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^listed \d+/);
}
