// Labels are pks's database: every container and volume pks creates carries
// them, and every later command finds its containers again through a
// label-filtered list on the engine. Nothing about containers is kept locally.
// The devcontainer.* ones are the reference CLI's, so VS Code and
// `devcontainer` recognise pks containers too.

export const LABELS = {
  managed: 'pks.managed',
  projectName: 'pks.project.name',
  projectPath: 'pks.project.path',
  spawnDate: 'pks.spawn.date',
  /** The registered remote id, or `local`. */
  remoteHost: 'pks.remote.host',
  volumeName: 'pks.volume.name',
  workspaceFolder: 'pks.workspace.folder',
  /** The project's folder in the container (the workspace folder or above it). */
  workspaceRoot: 'pks.workspace.root',
  /** The local user who spawned it: several users can share one host. */
  spawnedBy: 'pks.spawned.by',
  /** The user that hooks, exec and shells run as inside the container. */
  remoteUser: 'pks.remote.user',
  /** The folder on the engine's host bind-mounted at /run/pks-agent (SSH agent forwarding); absent when off. */
  sshAgentDir: 'pks.ssh-agent.dir',
  configHash: 'devcontainer.config.hash',
  localFolder: 'devcontainer.local_folder',
  configFile: 'devcontainer.config_file',
  metadata: 'devcontainer.metadata',
} as const;

export const LOCAL_HOST_ID = 'local';

/** The engine filter that selects pks-managed containers (or volumes). */
export function managedFilter(extra: Readonly<Record<string, string>> = {}): { label: string[] } {
  return {
    label: [`${LABELS.managed}=true`, ...Object.entries(extra).map(([key, value]) => `${key}=${value}`)],
  };
}

/**
 * A name fragment safe for container and volume names ([a-zA-Z0-9][a-zA-Z0-9_.-]*),
 * lowercased, from any project or user name (spaces, quotes, unicode...).
 */
export function sanitizeName(value: string, fallback = 'project'): string {
  const cleaned = value
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .replace(/-+$/g, '')
    .slice(0, 40)
    .replace(/[-.]+$/g, '');
  return cleaned === '' ? fallback : cleaned;
}
