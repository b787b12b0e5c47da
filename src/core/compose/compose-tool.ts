// What pks needs from Docker Compose, the real tool (never a copy of it):
// its resolved model of the project (`config`) and its commands (`build`,
// `up`). The adapter that starts it lives in src/process (core starts no
// processes); the CLI hands it to core. Every call names the engine
// (DOCKER_HOST through pks's own connection), the project name and the files.

export interface ComposeInvocation {
  /** `unix:///…` from engine.toolEndpoint(): never `ssh://`, never a TCP port. */
  dockerHost: string;
  /** `-p`: stable per pks project (composeProjectName). */
  projectName: string;
  /** `-f`, in order: the user's Compose files, then pks's override file. */
  files: readonly string[];
  signal?: AbortSignal | undefined;
  /** Compose's own output (build steps, container creation), line by line. */
  onOutput?: ((line: string) => void) | undefined;
}

export interface ComposeTool {
  /** Which Compose runs, for messages: `docker compose 2.29.1` or `docker-compose 1.29.2`. Detected once. */
  describe(): Promise<string>;
  /** `compose config`, parsed: the project as Compose resolves it (paths absolute, variables substituted). */
  config(invocation: ComposeInvocation): Promise<unknown>;
  /** Runs `compose <args>`; fails with E_COMPOSE_FAILED (its last lines of output in the details). */
  run(invocation: ComposeInvocation, args: readonly string[]): Promise<void>;
}
