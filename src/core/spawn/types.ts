// The spawn pipeline's request, events and result.

import type { ConfigChooser, LifecycleCommand } from '../../devcontainer/index.js';
import type { FindBuildkitCli, PrepareProgressEvent } from '../../image/index.js';
import type { ComposeTool } from '../compose/compose-tool.js';
import type { EngineTarget } from '../remote/engine-target.js';
import type { DotfilesOptions } from '../containers/dotfiles.js';
import type { HookEvent } from '../containers/hooks.js';
import type { UploadProgress } from './workspace-upload.js';

export type SpawnPhase =
  | 'config'
  | 'initialize'
  | 'prerequisites'
  | 'existing'
  | 'image'
  | 'volume'
  | 'container'
  | 'upload'
  | 'start'
  | 'hooks';

export type SpawnEvent =
  | { type: 'phase-start'; phase: SpawnPhase; message: string }
  | { type: 'phase-end'; phase: SpawnPhase; durationMs: number; ok: boolean }
  /** `verbose`: detail shown only with --verbose. */
  | { type: 'info'; message: string; verbose?: boolean }
  | ({ type: 'upload-progress' } & UploadProgress)
  | PrepareProgressEvent
  | HookEvent;

/** What spawn needs from the machine it runs on; the CLI provides it (it may start processes, core may not). */
export interface SpawnHost {
  /** The files git would carry (tracked + untracked-not-ignored), or undefined when the folder is not a git work tree. */
  listFiles(projectPath: string, includeIgnored: boolean): Promise<string[] | undefined>;
  /** Runs initializeCommand on this machine, in the project folder; `signal` (Ctrl-C) stops it. */
  runInitializeCommand(command: LifecycleCommand, cwd: string, signal?: AbortSignal): Promise<void>;
  chooseConfig?: ConfigChooser;
  /**
   * The dev container configuration was edited inside the container: keep
   * those edits ('container') or the ones on this machine ('host')?
   * Undefined when nobody can be asked.
   */
  resolveVolumeChanges?(files: readonly string[]): Promise<'host' | 'container'>;
  /** This machine's git user.name and user.email (for the project folder). */
  gitIdentity?(projectPath: string): Promise<{ name?: string; email?: string }>;
  /** A docker CLI for BuildKit builds of a Dockerfile; without one, the engine's classic builder (with a warning). */
  findBuildkit?: FindBuildkitCli;
  /** Docker Compose on this machine, for configurations with dockerComposeFile. */
  compose?: ComposeTool;
}

export type RebuildPolicy = 'auto' | 'always' | 'never';

export interface SpawnRequest {
  /** Absolute path of the project folder. */
  projectPath: string;
  projectName?: string | undefined;
  configFile?: string | undefined;
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  localUser: string;
  target: EngineTarget;
  volumeName?: string | undefined;
  rebuild: RebuildPolicy;
  /** Said when rebuilding because of `rebuild: 'always'`, e.g. `--rebuild`. */
  rebuildReason?: string;
  force: boolean;
  prefer?: 'host' | 'container' | undefined;
  includeIgnored: boolean;
  /** Build images without the engine's layer cache. */
  noCache?: boolean;
  /** gzip the workspace upload; default: decided by the link's speed and the data (compression.ts). */
  compress?: boolean;
  host: SpawnHost;
  /** false (--no-git-identity): a new container does not get this machine's git identity. */
  gitIdentity?: boolean;
  /** This machine's SSH agent socket to forward into the container; undefined: none (no agent, or --no-ssh-agent). */
  sshAgent?: string | undefined;
  /** --dotfiles-repository and its options: installed once per container, after postCreateCommand. */
  dotfiles?: DotfilesOptions | undefined;
  onEvent?: (event: SpawnEvent) => void;
  /**
   * The container is ready for an editor: the hook `waitFor` names is done
   * (see runLifecycleHooks); the hooks after it are still to run.
   */
  onReady?: ((ready: { containerName: string; workspaceFolder: string }) => Promise<void> | void) | undefined;
  signal?: AbortSignal;
}

export interface SpawnResult {
  /** created: new container; rebuilt: replaced one (same volume); reused: already running; started: was stopped. */
  outcome: 'created' | 'rebuilt' | 'reused' | 'started';
  containerId: string;
  containerName: string;
  remoteUser: string;
  remoteWorkspaceFolder: string;
  volumeName: string;
  remoteHost: string;
  configHash: string;
  timings: Partial<Record<SpawnPhase, number>>;
}
