// Every stable error code pks reports, with what it means. Scripts read these
// codes (`code` in `--format json` outcomes and `--log-format json` lines), so
// a code keeps its spelling once it is here. The README's table of codes is
// generated from this object (test/unit/error-codes.test.ts checks that it is
// current and that every code used in src/ is listed here and vice versa).
//
// Code elsewhere imports only the ErrorCode type, so the meanings are not part
// of the CLI bundle.

export const ErrorCodes = {
  // The command line and prompts
  E_USAGE: 'The command line is wrong: an unknown option, a missing or bad argument.',
  E_NO_COMMAND: '`exec` was given no command to run.',
  E_NOT_A_TTY: '`exec -t` needs a terminal on stdin.',
  E_BAD_SINCE: '`logs --since` is not a duration, an RFC 3339 time or Unix seconds.',
  E_NEEDS_CONFIRMATION: 'A confirmation is needed and there is no terminal to ask on: pass the flag named in the hint.',
  E_NEEDS_CHOICE: 'A choice is needed and there is no terminal to ask on: pass the flag named in the hint.',
  E_PROMPT_INTERRUPTED: 'A question was answered with Ctrl-C or Ctrl-D.',
  E_DECLINED: "The user declined to act on another user's container.",
  E_INTERRUPTED: 'The command was stopped by Ctrl-C.',
  E_COMMAND_EXIT: 'The command `exec` ran exited non-zero; pks exits with its status.',
  E_INTERNAL: 'An unexpected failure in pks itself (a bug).',

  // Remote hosts and pks's own files
  E_UNKNOWN_REMOTE: 'No remote host is registered under that id.',
  E_REMOTE_EXISTS: 'A remote host is already registered under that id.',
  E_REMOTE_INVALID: 'A remote host entry has invalid values.',
  E_REMOTE_TEST_FAILED: 'A step of `pks remote test` (or of the test `remote add` runs) failed.',
  E_HOSTS_FILE_UNREADABLE: 'The remote hosts file cannot be read.',
  E_HOSTS_FILE_INVALID: 'The remote hosts file is not valid; pks does not overwrite it.',
  E_HOSTS_FILE_WRITE: 'The remote hosts file cannot be written.',
  E_CONFIG_FILE_UNREADABLE: 'The configuration file (~/.pks/config.json) cannot be read.',
  E_CONFIG_FILE_INVALID: 'The configuration file is not valid (or names an option a command does not have); pks does not overwrite it.',
  E_CONFIG_FILE_WRITE: 'The configuration file cannot be written.',
  E_STATE_DIR: "pks's folder (PKS_HOME or ~/.pks) cannot be created or used.",
  E_STATE_DIR_UNSAFE: "pks's folder could be changed by others, so pks does not write there.",
  E_LOCK_TIMEOUT: 'Timed out waiting for the lock another pks command holds on a file.',
  E_USER_FILE_UNREADABLE: "A file of the user's that pks would edit cannot be read, so it is not written.",
  E_USER_FILE_NOT_OWNED: 'A file pks would edit belongs to another user.',
  E_USER_FILE_WRITE: "A file of the user's cannot be written.",
  E_SSH_CONFIG_VALUE: 'A value cannot be written into an ssh_config file (quotes, line breaks, control characters).',
  E_SSH_ALIAS_UNWRITABLE: 'VS Code cannot reach the remote host: its ssh_config alias cannot be written.',

  // SSH
  E_SSH_UNREACHABLE: 'The host cannot be reached over SSH.',
  E_SSH_HANDSHAKE: 'The SSH handshake failed.',
  E_SSH_AUTH: 'SSH authentication failed.',
  E_SSH_AUTH_TOO_MANY: 'The SSH server closed the connection after too many authentication attempts.',
  E_SSH_DISCONNECTED: 'The SSH connection was lost.',
  E_SSH_CLOSED: 'The SSH connection was already closed.',
  E_SSH_KEY_MISSING: 'A private key file does not exist.',
  E_SSH_KEY_INVALID: 'A private key cannot be read or used.',
  E_SSH_KEY_PERMISSIONS: 'A private key is readable by group or others, and is ignored as ssh would.',
  E_SSH_KEY_ENCRYPTED: 'A private key is encrypted and no passphrase could be asked for.',
  E_SSH_KEY_PASSPHRASE: 'The passphrase for a private key is wrong.',
  E_HOST_KEY_UNKNOWN: "The host's key is not in known_hosts and was not accepted.",
  E_HOST_KEY_CHANGED: "The host's key differs from the one in known_hosts: refused.",
  E_HOST_KEY_REVOKED: "The host's key is listed in RevokedHostKeys: refused.",
  E_HOST_KEY_REVOKED_LIST_READ: 'The RevokedHostKeys file cannot be read; every host is refused.',
  E_HOST_KEY_REVOKED_LIST_INVALID: 'The RevokedHostKeys file is not valid; every host is refused.',
  E_KNOWN_HOSTS_READ: 'A known_hosts file cannot be read.',
  E_KNOWN_HOSTS_WRITE: 'A host key cannot be added to known_hosts.',

  // The engine
  E_DOCKER_HOST: 'DOCKER_HOST names an address pks cannot use.',
  E_DOCKER_CONTEXT: 'The docker context in use (DOCKER_CONTEXT or the docker CLI\'s current one) is missing, unreadable, or not a local unix:// socket.',
  E_ENGINE_UNREACHABLE: 'The Docker engine cannot be reached.',
  E_REMOTE_SOCKET: 'The Docker socket on the remote host is missing or cannot be opened.',
  E_ENGINE_CONNECTION: 'The connection to the engine failed or was lost.',
  E_ENGINE_TIMEOUT: 'The engine did not answer in time.',
  E_ENGINE_TOO_OLD: "The engine's API version is older than pks supports.",
  E_ENGINE_PROTOCOL: 'The engine answered something pks cannot read.',
  E_ENGINE_STREAM: 'The engine reported an error inside a stream.',
  E_ENGINE_BAD_REQUEST: 'The engine refused a request as invalid (HTTP 400).',
  E_ENGINE_NOT_FOUND: 'The engine does not have the object asked for (HTTP 404).',
  E_ENGINE_CONFLICT: "The engine refused a request that conflicts with an object's state (HTTP 409).",
  E_ENGINE_API: 'The engine refused a request (any other HTTP error).',
  E_ENGINE_CLOSED: 'The engine client was already closed.',
  E_WARM_UNAVAILABLE: 'No warm SSH connection can be used for the host (unsafe run folder or socket, socket path too long).',

  // The project and its configuration
  E_PROJECT_NOT_FOUND: 'The project folder does not exist or is not a folder.',
  E_PROJECT_MISSING: "The container's project folder is not on this machine.",
  E_CONFIG_NOT_FOUND: 'No dev container configuration was found.',
  E_CONFIG_AMBIGUOUS: 'The project has several configurations and no default one (.devcontainer/devcontainer.json or .devcontainer.json): choose one with --config.',
  E_CONFIG_SYNTAX: 'A configuration file is not valid JSONC.',
  E_CONFIG_TOO_DEEP: 'A configuration file is nested too deeply.',
  E_CONFIG_INVALID: 'A configuration file does not match the schema.',
  E_CONFIG_VARIABLE: 'A ${…} variable in the configuration cannot be resolved.',
  E_CONFIG_EDITED_INSIDE: 'The configuration was edited inside the container: choose with --prefer.',
  E_COMPOSE_MISSING: 'The configuration uses Docker Compose, and neither `docker compose` nor `docker-compose` runs on this machine.',
  E_COMPOSE_FAILED: 'A Docker Compose command (build, up) failed.',
  E_COMPOSE_CONFIG: 'Compose cannot read the Compose files, or the service (or a runServices entry) is not in them.',
  E_COMPOSE_FILE_NOT_FOUND: 'A compose file the configuration names does not exist.',
  E_DOCKERFILE_NOT_FOUND: 'The Dockerfile does not exist.',
  E_BUILD_CONTEXT_NOT_FOUND: 'The build context is not a folder.',
  E_BUILD_OUTSIDE_PROJECT: 'The Dockerfile or build context is outside the project.',

  // Features
  E_FEATURE_REF: 'A Feature reference cannot be parsed or has no source.',
  E_FEATURE_NOT_FOUND: 'A Feature is not in its registry, or a local Feature has no devcontainer-feature.json.',
  E_FEATURE_INVALID: 'A Feature folder is not a valid Feature.',
  E_FEATURE_DOWNLOAD: "A Feature's tarball cannot be downloaded (an HTTP error, a redirect pks does not follow, too large).",
  E_FEATURE_MANIFEST: "A Feature's manifest or metadata cannot be read.",
  E_FEATURE_DIGEST: 'A Feature does not match its digest.',
  E_FEATURE_OPTION: 'A Feature option has a value the Feature does not accept.',
  E_FEATURE_CYCLE: 'Feature dependencies form a cycle.',
  E_REGISTRY_UNREACHABLE: 'An OCI registry, or the server of a Feature tarball, cannot be reached.',
  E_REGISTRY_AUTH: 'An OCI registry refused access.',
  E_REGISTRY_API: 'An OCI registry answered with an HTTP error.',
  E_REGISTRY_PROTOCOL: 'An OCI registry answered something pks cannot use.',
  E_ARCHIVE_UNSAFE: 'An archive entry would be written outside its target folder.',
  E_ARCHIVE_TRUNCATED: 'An archive ended in the middle of a file.',
  E_ARCHIVE_TOO_LARGE: 'An archive holds more files or bytes than pks extracts.',

  // Spawning
  E_DISK_FULL: 'Not enough free disk space for the engine.',
  E_GPU_UNAVAILABLE: 'The configuration requires a GPU (hostRequirements.gpu) and the engine has no GPU runtime.',
  E_DOCTOR_FAILED: 'pks doctor found a check that failed; each failed line says what to do.',
  E_IMAGE_PULL: 'The image cannot be pulled.',
  E_INIT_UNAVAILABLE: 'The configuration asks for `"init": true` and the engine has no init binary (Podman: catatonit).',
  E_IMAGE_BUILD: 'The image build failed.',
  E_BUILD_OPTION: 'A flag in build.options is refused: unknown, unsafe, or not possible with the builder in use.',
  E_INITIALIZE_FAILED: 'initializeCommand failed on this machine.',
  E_HOOK_FAILED: 'A lifecycle hook failed in the container.',
  E_REMOTE_USER_MISSING: 'The remoteUser does not exist in the image.',
  E_CONTAINER_USER_MISSING: "The containerUser (or the image's USER) does not exist in the image.",
  E_CONTAINER_EXITED: 'The container stopped right after it started.',
  E_PEER_SPAWN_FAILED: 'Another spawn of the same project did not finish creating the container.',
  E_GIT_FAILED: "git could not list the project's files.",
  E_UNREADABLE: 'A folder of the project cannot be read.',
  E_UPLOAD_READ: 'Reading the project failed during the upload.',

  // Containers
  E_CONTAINER_NOT_FOUND: 'No dev container matches.',
  E_AMBIGUOUS_CONTAINER: 'Several dev containers match: name one.',
  E_FOREIGN_CONTAINER: 'The container was created by another tool.',
  E_OTHER_USERS_CONTAINER: "The container is another local user's: pass --other-user.",
  E_CONTAINER_STOPPED: 'The container is not running.',
  E_CONTAINER_RUNNING: 'The container is running: stop it or pass --force.',
  E_VOLUME_IN_USE: 'The workspace volume is used by another container, so it is kept.',
  E_LIST_PARTIAL: 'Some engines could not be listed; the list is partial.',
  E_DOTFILES_FAILED: 'The dotfiles could not be installed in the container (no git there, or the clone or the install command failed).',
  E_SSH_AGENT_FORWARD: 'The SSH agent could not be forwarded into the container (reported as a warning; the command goes on).',

  // Forwarded ports
  E_BAD_PORT: 'A port to forward is not a number from 1 to 65535 (or `port:local`).',
  E_PORT_BUSY: 'The local port a forward requires is taken.',
  E_NO_CONTAINER_ADDRESS: 'The container has no network address to forward ports to.',
  E_NO_PORTS: 'No port to forward: none given and none in the configuration.',
} as const;

/** A stable error code: a typo in one fails the typecheck. */
export type ErrorCode = keyof typeof ErrorCodes;
