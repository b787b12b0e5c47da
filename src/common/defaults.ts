// Values several layers agree on, defined once. No imports: loading this
// costs nothing at start-up.

/** Where a Docker engine listens unless told otherwise, locally and on a remote host. */
export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

/** A remote host's id: 1-63 lowercase letters, digits, "-" or "_", starting with a letter or digit. */
export const REMOTE_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
