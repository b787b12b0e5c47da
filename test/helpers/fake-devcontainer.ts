// A pks-managed dev container on the in-memory engine, labelled as spawn
// labels it (project, folder, who spawned it, postStartCommand in its
// metadata), with its workspace volume mounted at /workspaces when asked.

import { LABELS } from '../../src/core/containers/labels.js';
import type { FakeContainer, FakeEngine } from './fake-engine.js';

export interface FakeDevcontainerOptions {
  project?: string;
  /** The project folder; default /home/alice/<project>. */
  path?: string;
  /** Who spawned it; default alice. */
  user?: string;
  state?: FakeContainer['state'];
  postStart?: string;
  /** Give it its workspace volume, `<name>-workspace`. */
  volume?: boolean;
}

export function addDevcontainer(engine: FakeEngine, name: string, options: FakeDevcontainerOptions = {}): FakeContainer {
  const project = options.project ?? name;
  const volume = `${name}-workspace`;
  if (options.volume === true) engine.addVolume(volume, { [LABELS.managed]: 'true' });
  return engine.addContainer({
    name,
    state: options.state ?? 'running',
    labels: {
      [LABELS.managed]: 'true',
      [LABELS.projectName]: project,
      [LABELS.projectPath]: options.path ?? `/home/alice/${project}`,
      [LABELS.spawnedBy]: options.user ?? 'alice',
      ...(options.volume === true ? { [LABELS.volumeName]: volume } : {}),
      ...(options.postStart === undefined ? {} : { [LABELS.metadata]: JSON.stringify([{ postStartCommand: options.postStart }]) }),
    },
    mounts: options.volume === true ? [{ type: 'volume', name: volume, destination: '/workspaces' }] : [],
  });
}
