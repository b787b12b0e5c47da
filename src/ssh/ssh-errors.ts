// Maps ssh2's errors (plain Errors tagged with `level` and sometimes an errno
// `code`) to pks errors that name the host, the port and what to try next.

import { OperationError, errorMessage, isPksError, systemErrorCode, type PksError } from '../common/errors.js';

export interface SshErrorContext {
  /** `user@host:port`, how the user will recognise the login. */
  login: string;
  host: string;
  port: number;
  /** What was offered for authentication, e.g. `key ~/.ssh/id_ed25519 (ssh-ed25519 SHA256:...)`. */
  credentials: string;
  /** Set once the host key was accepted and keys are being offered. */
  authenticating?: boolean;
}

/** sshd's words when a client used up MaxAuthTries (auth2.c). */
const TOO_MANY_AUTH_FAILURES = /too many authentication failures/i;

function levelOf(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'level' in error) {
    const level = (error as { level: unknown }).level;
    return typeof level === 'string' ? level : undefined;
  }
  return undefined;
}

const UNREACHABLE_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused (is sshd running and listening on that port?)',
  ETIMEDOUT: 'connection timed out (no answer within the connect timeout)',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed (temporary DNS failure)',
  ECONNRESET: 'connection reset by the server',
};

/** An error raised while establishing the SSH connection (before `ready`). */
export function mapSshConnectError(error: unknown, context: SshErrorContext): PksError {
  const { login, host, port } = context;
  const level = levelOf(error);
  const code = systemErrorCode(error);
  if (level === 'client-authentication') {
    const refused = context.credentials.startsWith('no key') ? `nothing was offered: ${context.credentials}` : `the server refused ${context.credentials}`;
    const agentMissed = /could not be reached/.test(context.credentials);
    return new OperationError('E_SSH_AUTH', `SSH authentication failed for ${login}: ${refused}.`, {
      hint:
        `Check the user name and that the public key is in ~/.ssh/authorized_keys of that user on ${host}` +
        `${agentMissed ? '; if the key is in your ssh-agent, point SSH_AUTH_SOCK at the running agent (or start one and ssh-add the key)' : ''}.`,
      cause: error,
    });
  }
  // The server hangs up once a client used up its MaxAuthTries (6 by
  // default): most often an ssh-agent holding many keys, each one a try.
  if (context.authenticating === true && TOO_MANY_AUTH_FAILURES.test(errorMessage(error))) {
    return new OperationError(
      'E_SSH_AUTH_TOO_MANY',
      `SSH authentication failed for ${login}: the server closed the connection after too many authentication attempts ` +
        `(${errorMessage(error)}), before the right key was offered. Offered, in order: ${context.credentials}.`,
      {
        hint:
          `Each key is one try and ${host} allows only a few (sshd's MaxAuthTries). Add \`IdentitiesOnly yes\` for this host ` +
          `in ~/.ssh/config so that only its IdentityFile (or the remote's --key) is offered, or hold fewer keys in ssh-agent (\`ssh-add -l\`, \`ssh-add -d\`).`,
        cause: error,
      },
    );
  }
  if (level === 'client-timeout') {
    return new OperationError(
      'E_SSH_UNREACHABLE',
      `Cannot reach ${host} port ${port} over SSH: timed out waiting for the SSH handshake.`,
      { hint: `Check that ${host} is up and that port ${port} is not filtered.`, cause: error },
    );
  }
  if (level === 'client-socket' || level === 'client-dns' || (code !== undefined && code in UNREACHABLE_REASONS)) {
    const reason = (code !== undefined ? UNREACHABLE_REASONS[code] : undefined) ?? errorMessage(error);
    return new OperationError('E_SSH_UNREACHABLE', `Cannot reach ${host} port ${port} over SSH: ${reason}.`, {
      hint: `Check the host name and port, and that sshd runs on ${host}.`,
      cause: error,
    });
  }
  return new OperationError(
    'E_SSH_HANDSHAKE',
    `The SSH handshake with ${host} port ${port} failed: ${errorMessage(error)}.`,
    { hint: 'Check that the server runs OpenSSH and accepts modern algorithms.', cause: error },
  );
}

/** ssh2's ready timeout fired before the TCP connection was up: nothing answered at that address. */
export function tcpConnectTimeoutError(timeoutMs: number): Error {
  return Object.assign(new Error(`no answer within ${timeoutMs / 1000} s`), { code: 'ETIMEDOUT', level: 'client-socket' });
}

/** The connection went away while pks was using it. */
export function sshDisconnectedError(context: Pick<SshErrorContext, 'login'>, cause: unknown): PksError {
  return new OperationError('E_SSH_DISCONNECTED', `The SSH connection to ${context.login} was lost: ${errorMessage(cause)}.`, {
    hint: 'Check the network and that sshd still runs on the host, then retry.',
    cause,
  });
}

/** Network conditions that come and go: a link flapping, a lookup timing out. */
const TRANSIENT_CONNECT_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/**
 * What a host that is not there answers to a first connection: no route, no
 * network, nothing listening, no answer within the connect timeout. Trying
 * again in 2 s and 4 s almost never changes that (OpenSSH's
 * ConnectionAttempts is 1 too), and it held up every other host of
 * `list --all-remotes` for 6 s.
 */
const NOT_THERE_CODES: ReadonlySet<string> = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'ECONNREFUSED', 'ETIMEDOUT']);

/**
 * Whether a failed connection set-up (a mapped error from connect) may
 * succeed when tried again.
 *
 * A first connection is retried only for a blip that fails fast: a reset, a
 * connection closed during the handshake (sshd restarting or throttling new
 * logins), a temporary DNS failure. A host that is not there (unreachable,
 * refused, or silent until the connect timeout) fails at once: the user
 * already waited the whole timeout, and "refused" almost always means a
 * wrong port or no sshd.
 *
 * Reconnecting a session that was established and dropped (`reconnecting`)
 * is different: the host was there a moment ago, so a link flapping or sshd
 * restarting is the likely cause, and all of those are retried, "connection
 * refused" included.
 */
export function isTransientConnectError(error: unknown, reconnecting: boolean): boolean {
  if (!isPksError(error)) return false;
  if (error.code !== 'E_SSH_UNREACHABLE' && error.code !== 'E_SSH_HANDSHAKE') return false;
  const cause = error.cause;
  if (levelOf(cause) === 'client-timeout') return reconnecting;
  const code = systemErrorCode(cause);
  if (code !== undefined) {
    if (reconnecting) return TRANSIENT_CONNECT_CODES.has(code) || code === 'ECONNREFUSED';
    return TRANSIENT_CONNECT_CODES.has(code) && !NOT_THERE_CODES.has(code);
  }
  return /closed during the handshake/.test(errorMessage(cause));
}
