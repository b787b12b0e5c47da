// Public surface of the SSH layer. Nothing here imports ssh2 at load time:
// connection.ts loads it when a connection is actually opened.

export { acquireSshConnection, openSshConnectionCount, sshOptionsIdentity, type SshConnectionLease } from './connection-pool.js';
export { SshConnection, sshHandshakeCount } from './connection.js';
export { HostKeyPolicy, type AcceptedHostKey, type HostKeyPolicyOptions } from './host-key-policy.js';
export { hashHostName, knownHostsName, matchHostPatternList, matchWildcard } from './host-patterns.js';
export { keyTypeOfBlob, sha256Fingerprint } from './key-blob.js';
export { checkPrivateKeyPermissions, readPrivateKeyFile } from './keys.js';
export { appendKnownHostsLine, defaultGlobalKnownHostsFiles, defaultKnownHostsFiles, readKnownHostsFiles } from './known-hosts-file.js';
export { parseRevokedHostKeys, readRevokedHostKeys, type RevokedHostKeys } from './revoked-host-keys.js';
export {
  checkHostKey,
  entryMatchesHost,
  formatKnownHostsLine,
  parseKnownHosts,
  type HostKeyVerdict,
  type KnownHostsEntry,
} from './known-hosts.js';
export { loginOf, resolveSshOptions, sshUrlOf, type ResolvedSshOptions, type SshConnectionOptions } from './options.js';
export { RemoteDiskProbe, remoteDiskFree } from './remote-disk.js';
export { parseUserIds, remoteUserIds, type HostUserIds } from './remote-user-ids.js';
export { isTransientConnectError } from './ssh-errors.js';
export { diagnoseRemoteSocket, type RemoteSocketDiagnosis } from './remote-socket.js';
export { findEngineSocket, podmanSocketCandidates } from './engine-socket-search.js';
export { UnknownHostKeyError } from './host-key-policy.js';
export { fileSystemSource, parseJumpHost, resolveSshConfig, type SshConfigHost } from './ssh-config.js';
export type { SshPrompts } from './options.js';
export { AGENT_SOCKET_NAME, agentBaseDir, checkAgentKey, forwardAgentToHost, type AgentForward } from './agent-forward.js';
