// Turns a registered remote host into the SSH options that reach it, the way
// ssh(1) would: explicit entry values win, then ~/.ssh/config (the entry's
// host may be an alias), then defaults. Host keys are checked against
// ssh_config's UserKnownHostsFile (default ~/.ssh/known_hosts{,2}),
// GlobalKnownHostsFile and RevokedHostKeys, and ~/.pks/known_hosts; keys the
// user accepts through pks go to the latter, so pks never edits the user's
// own ssh files.

import path from 'node:path';
import type { SshEngineOptions } from '../../engine/index.js';
// ssh-config directly, not the ssh barrel: resolving a target must not load the connection code.
import type { SshPrompts } from '../../ssh/options.js';
import { fileSystemSource, parseJumpHost, resolveSshConfig, type SshConfigHost } from '../../ssh/ssh-config.js';
import { defaultKnownHostsFiles } from '../../ssh/known-hosts-file.js';
import { localUserName } from '../containers/owner.js';
import { DEFAULT_DOCKER_SOCKET, homeDir, pksHome, type RemoteHost } from '../../store/remote-host-store.js';

export const DEFAULT_KEY_NAMES = ['id_ed25519', 'id_ecdsa', 'id_rsa'] as const;

export interface RemoteTargetOptions {
  env: NodeJS.ProcessEnv;
  acceptNewHostKey?: boolean | undefined;
  prompts?: SshPrompts;
  /** Connect timeout in ms (default: ssh_config's ConnectTimeout, else 10 s). */
  timeoutMs?: number | undefined;
  /** ssh_config files to read (tests); default ~/.ssh/config and /etc/ssh/ssh_config. */
  sshConfigFiles?: string[];
}

export interface RemoteTarget {
  entry: RemoteHost;
  /** `user@hostname:port`, as connected to. */
  login: string;
  /** What ssh_config contributed, for --verbose. */
  sshConfig: SshConfigHost;
  options: SshEngineOptions;
}

/** Connection settings for an address given by hand (a ProxyJump hop). */
function hopOptions(
  spec: string,
  env: NodeJS.ProcessEnv,
  common: Omit<SshEngineOptions, 'host' | 'port' | 'username'>,
  sshConfigFiles: string[] | undefined,
): SshEngineOptions {
  const hop = parseJumpHost(spec);
  const home = homeDir(env);
  const config = resolveSshConfig(hop.host, { files: sshConfigFiles ?? defaultConfigFiles(home), source: fileSystemSource(home), localUser: localUserName(env) });
  return {
    ...common,
    host: config.hostName ?? hop.host,
    port: hop.port ?? config.port ?? 22,
    username: hop.user ?? config.user ?? localUserName(env),
    identityFiles: [...config.identityFiles, ...defaultKeys(home)],
  };
}

function defaultConfigFiles(home: string): string[] {
  return [path.join(home, '.ssh', 'config'), '/etc/ssh/ssh_config'];
}

function defaultKeys(home: string): string[] {
  return DEFAULT_KEY_NAMES.map((name) => path.join(home, '.ssh', name));
}

export function resolveRemoteTarget(entry: RemoteHost, options: RemoteTargetOptions): RemoteTarget {
  const { env } = options;
  const home = homeDir(env);
  const configFiles = options.sshConfigFiles ?? defaultConfigFiles(home);
  const sshConfig = resolveSshConfig(entry.host, { files: configFiles, source: fileSystemSource(home), localUser: localUserName(env) });
  const host = sshConfig.hostName ?? entry.host;
  const port = entry.port ?? sshConfig.port ?? 22;
  const username = entry.user ?? sshConfig.user ?? localUserName(env);
  const pksKnownHosts = path.join(pksHome(env), 'known_hosts');
  const userKnownHosts = sshConfig.userKnownHostsFiles ?? defaultKnownHostsFiles(home);
  const agentSocket = env.SSH_AUTH_SOCK;
  const common = {
    knownHostsFiles: [...userKnownHosts, pksKnownHosts],
    knownHostsAcceptFile: pksKnownHosts,
    // Unset = the ssh layer's defaults (/etc/ssh/ssh_known_hosts{,2}).
    globalKnownHostsFiles: sshConfig.globalKnownHostsFiles,
    revokedHostKeys: sshConfig.revokedHostKeys,
    acceptNewHostKey: options.acceptNewHostKey === true,
    // ssh_config's liveness settings, as ssh(1) reads them; without
    // ServerAliveInterval pks still sends keepalives (every 15 s), so that a
    // link that died during a long upload or `logs --follow` is noticed.
    readyTimeoutMs: options.timeoutMs ?? (sshConfig.connectTimeout === undefined ? 10_000 : sshConfig.connectTimeout * 1000),
    keepaliveIntervalMs: sshConfig.serverAliveInterval === undefined ? undefined : sshConfig.serverAliveInterval * 1000,
    keepaliveCountMax: sshConfig.serverAliveCountMax,
    agentSocket: agentSocket === undefined || agentSocket === '' || sshConfig.identitiesOnly === true ? undefined : agentSocket,
    prompts: options.prompts,
  };
  const explicitKey = entry.key === undefined ? undefined : expandHome(entry.key, home);
  const sshOptions: SshEngineOptions = {
    ...common,
    host,
    port,
    username,
    privateKeyPath: explicitKey,
    identityFiles: [...sshConfig.identityFiles, ...(sshConfig.identitiesOnly === true && sshConfig.identityFiles.length > 0 ? [] : defaultKeys(home))],
    socketPath: entry.dockerSocket ?? DEFAULT_DOCKER_SOCKET,
    jump: sshConfig.proxyJump === undefined ? undefined : hopOptions(sshConfig.proxyJump, env, common, options.sshConfigFiles),
  };
  return { entry, login: `${username}@${host}:${port}`, sshConfig, options: sshOptions };
}

function expandHome(file: string, home: string): string {
  if (file === '~') return home;
  if (file.startsWith('~/')) return path.join(home, file.slice(2));
  return path.resolve(file);
}
