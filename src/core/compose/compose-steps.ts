// Spawn's steps for a Docker Compose configuration. The plan is the same as
// for an image (plan.ts); these steps replace the ones that make and start
// containers, and run Compose for them:
//   prepare-image     compose config (the service, runServices), compose build,
//                     then pks's Features image on top of the service's image;
//   build-spec        the override file (labels, name, workspace volume, image…);
//   create-container  compose up --no-start: every service created, none started;
//   (check-container, upload: the workspace goes into the volume, as for any
//   dev container, before anything runs)
//   start             compose up -d;
//   start-existing    the project's other services, then the workspace service.
// Compose reaches the engine through engine.toolEndpoint(), opened once per
// spawn and closed when it ends.

import path from 'node:path';
import { OperationError } from '../../common/errors.js';
import type { LoadedDevcontainerConfig } from '../../devcontainer/index.js';
import { prepareImage } from '../../image/index.js';
import { inPhase } from '../../image/progress.js';
import { ensurePrivateDir, writeFileAtomic } from '../../store/files.js';
import { pksHome } from '../../store/remote-host-store.js';
import { LABELS } from '../containers/labels.js';
import { undoContainer } from '../spawn/cleanup.js';
import { newContainerSteps, remoteUserOf, containerLabels } from '../spawn/create-steps.js';
import { configFilePaths, hostFileDigests } from '../spawn/drift.js';
import type { StepRunner } from '../spawn/execute.js';
import { existingSteps } from '../spawn/existing-steps.js';
import { volumeNameFor } from '../spawn/naming.js';
import type { SpawnStep } from '../spawn/plan.js';
import { needed, type SpawnRun } from '../spawn/run.js';
import { workspaceLayout } from '../spawn/workspace-layout.js';
import { parseComposeModel, projectBinds, otherBinds, servicesToRun } from './compose-model.js';
import { COMPOSE_SERVICE_LABEL, projectContainers, startProjectServices } from './compose-project.js';
import type { ComposeSession } from './compose-session.js';
import type { ComposeInvocation } from './compose-tool.js';
import { composeOverride, overrideFilePath, serializeOverride } from './override.js';

const sessionOf = (run: SpawnRun): ComposeSession => needed(run.compose, 'the Compose project');

async function invocation(run: SpawnRun, withOverride: boolean): Promise<ComposeInvocation> {
  const session = sessionOf(run);
  session.endpoint ??= await run.engine.toolEndpoint();
  return {
    dockerHost: session.endpoint.dockerHost,
    projectName: session.projectName,
    files: withOverride ? [...session.files, session.overrideFile] : [...session.files],
    signal: run.request.signal,
    onOutput: (line) => run.emit({ type: 'build-output', phase: 'build', line }),
  };
}

async function writeOverride(run: SpawnRun, content: Record<string, unknown>): Promise<void> {
  const file = sessionOf(run).overrideFile;
  await ensurePrivateDir(path.dirname(file));
  await writeFileAtomic(file, serializeOverride(content));
}

/** The service's image as Compose builds it: a name pks chooses, so it can build its Features image on top. */
function baseImageName(session: ComposeSession): string {
  return `${session.projectName}-${session.service}-base`;
}

const composeOverrides: Partial<Record<SpawnStep, StepRunner>> = {
  async 'prepare-image'(run) {
    const { request, emit, engine, clock } = run;
    const session = sessionOf(run);
    run.prepared = await clock.run('image', `Preparing the image of the Compose service ${session.service}`, async () => {
      const describe = await session.tool.describe();
      emit({ type: 'info', message: `Compose: ${describe}.`, verbose: true });
      const model = parseComposeModel(await session.tool.config(await invocation(run, false)));
      const services = servicesToRun(model, session.service, run.loaded.config.runServices);
      session.model = model;
      session.services = services;
      if (engine.kind === 'ssh') {
        for (const { service, volume } of otherBinds(model, services, session.service, run.loaded.projectPath)) {
          emit({
            type: 'warning',
            message: `service ${service}: the bind mount ${volume.source ?? '?'} → ${volume.target} is resolved on the remote host, not on this machine: the folder must exist there (use a volume to keep data with the container).`,
          });
        }
      }
      const workspace = needed(model.services.get(session.service), 'the workspace service');
      // Compose builds the services that have a build section (the workspace
      // service under pks's name for it); the others' images are pulled by up.
      const toBuild = services.filter((name) => model.services.get(name)?.builds === true);
      let base = workspace.image;
      if (toBuild.length > 0) {
        if (workspace.builds) base = baseImageName(session);
        await writeOverride(run, { version: model.version, services: workspace.builds ? { [session.service]: { image: base } } : {} });
        await inPhase((event) => emit(event), 'build', `Building ${toBuild.join(', ')} with Compose`, async () =>
          session.tool.run(await invocation(run, true), ['build', ...(request.noCache === true ? ['--no-cache'] : []), ...toBuild]),
        );
      }
      if (base === undefined) {
        throw new OperationError('E_COMPOSE_CONFIG', `The Compose service ${session.service} has neither "image" nor "build".`, {
          hint: 'Give the service an image or a build section.',
        });
      }
      const asImage: LoadedDevcontainerConfig = { ...run.loaded, source: { kind: 'image', image: base } };
      return prepareImage(engine, asImage, {
        env: request.env,
        onProgress: (event) => emit(event),
        signal: request.signal,
        noCache: request.noCache,
        imageName: `${session.projectName}-${session.service}`,
        labels: { [LABELS.managed]: 'true', [LABELS.spawnedBy]: request.localUser },
        engineInfo: run.engineInfo,
      });
    });
  },

  async 'build-spec'(run) {
    const { request, loaded } = run;
    const session = sessionOf(run);
    const prepared = needed(run.prepared, 'the image');
    const model = needed(session.model, "Compose's project");
    const workspace = needed(model.services.get(session.service), 'the workspace service');
    const volumeName = request.volumeName ?? run.reuseVolume ?? volumeNameFor(run.identity);
    const remoteUser = remoteUserOf(prepared);
    const configFiles = await hostFileDigests(loaded.projectPath, configFilePaths(loaded.configHash.inputs));
    const layout = workspaceLayout(loaded, run.dirName);
    const labels = containerLabels(run, prepared, { layout, volumeName, remoteUser, configFiles });
    const overrideCommand = prepared.merged.overrideCommand ?? false;
    if (!overrideCommand && (prepared.merged.entrypoints ?? []).length > 0) {
      run.emit({ type: 'warning', message: `The Features' entrypoints do not run in a Compose service whose command is its own ("overrideCommand": true runs them).` });
    }
    const override = composeOverride({
      version: model.version,
      service: session.service,
      containerName: run.containerName,
      labels,
      volumeName,
      mountPoint: layout.mountPoint,
      replacedTargets: projectBinds(workspace, loaded.projectPath).map((bind) => bind.target),
      image: prepared.imageName,
      merged: prepared.merged,
      overrideCommand,
    });
    await writeOverride(run, override);
    run.made = { volumeName, remoteUser, configFiles, layout, labels };
  },

  async 'create-container'(run) {
    const { engine, containerName, cleanup, clock } = run;
    const session = sessionOf(run);
    const services = needed(session.services, 'the services to run');
    const before = new Set((await projectContainers(engine, session.projectName)).map((c) => c.Id));
    await clock.run('container', `Creating the Compose services ${services.join(', ')}`, async () => {
      try {
        await session.tool.run(await invocation(run, true), ['up', '--no-start', ...services]);
      } finally {
        // What this run made goes if a later step fails (as compose down would), whatever up said.
        const made = (await projectContainers(engine, session.projectName).catch(() => [])).filter((c) => !before.has(c.Id));
        for (const c of made) cleanup.onFailure(undoContainer({ id: c.Id, name: (c.Names[0] ?? c.Id).replace(/^\//, '') }));
      }
    });
    const workspace = (await projectContainers(engine, session.projectName)).find((c) => c.Labels[COMPOSE_SERVICE_LABEL] === session.service);
    if (workspace === undefined) {
      throw new OperationError('E_COMPOSE_FAILED', `Compose created no container for the service ${session.service} (${containerName}).`);
    }
    run.containerId = workspace.Id;
    return { observed: { createAnswer: 'created' } };
  },

  async start(run) {
    const session = sessionOf(run);
    const services = needed(session.services, 'the services to run');
    await run.clock.run('start', `Starting the Compose services ${services.join(', ')}`, async () => session.tool.run(await invocation(run, true), ['up', '-d', ...services]));
    run.cleanup.keep({ stage: 'ready', container: run.containerName, pending: 'hooks' });
  },

  async 'start-existing'(run, plan) {
    const existing = needed(run.existing, 'the existing container');
    await startProjectServices(run.engine, sessionOf(run).projectName, existing.Id);
    return existingSteps['start-existing'](run, plan);
  },

  async reuse(run, plan) {
    const existing = needed(run.existing, 'the existing container');
    await startProjectServices(run.engine, sessionOf(run).projectName, existing.Id);
    return existingSteps.reuse(run, plan);
  },
};

export const composeSteps: Readonly<Record<SpawnStep, StepRunner>> = { ...existingSteps, ...newContainerSteps, ...composeOverrides };

/** The Compose project of a spawn: its tool, name, files and override file. */
export function composeSession(run: Pick<SpawnRun, 'request' | 'loaded'>, projectName: string): ComposeSession {
  const { request, loaded } = run;
  const source = loaded.source;
  if (source.kind !== 'compose') throw new OperationError('E_INTERNAL', 'A Compose spawn of a configuration without Compose files.');
  const tool = request.host.compose;
  if (tool === undefined) throw new OperationError('E_INTERNAL', 'This spawn was given no way to run Docker Compose.');
  return {
    tool,
    projectName,
    service: source.service,
    files: source.composeFiles,
    overrideFile: overrideFilePath(pksHome(request.env), projectName),
  };
}
