// The spawn step that says when this machine's files and the volume's copy
// differ: on reuse (the container, or its volume under a new container, is
// kept and never uploaded over), the upload's manifest against what git
// lists here now.

import { errorMessage } from '../../common/errors.js';
import { remoteFlagOf } from '../remote/engine-target.js';
import type { SpawnEvent, SpawnRequest } from './types.js';
import { differingFiles, manifestOf, readUploadManifest } from './upload-manifest.js';
import type { WorkspaceLayout } from './workspace-layout.js';
import type { UploadPlan } from './workspace-upload.js';

export async function reportDivergence(
  request: SpawnRequest,
  container: { id: string; name: string },
  layout: WorkspaceLayout,
  upload: UploadPlan,
  emit: (event: SpawnEvent) => void,
  /** The configuration's files: kept in step by the drift check and the config sync, not counted here. */
  configPaths: readonly string[],
): Promise<void> {
  let manifest;
  try {
    manifest = await readUploadManifest(request.target.engine, container.id, layout);
  } catch (error) {
    if (request.signal?.aborted === true) throw error;
    emit({ type: 'warning', message: `Could not read the record of the upload into ${layout.root}: ${errorMessage(error)}` });
    return;
  }
  if (manifest === undefined) {
    emit({ type: 'info', message: `The volume's copy of the workspace was uploaded by an earlier pks, without a record of its files: pks cannot tell whether it differs from this machine's.`, verbose: true });
    return;
  }
  const differing = differingFiles(manifest.files, manifestOf(upload)).filter((file) => !configPaths.includes(file));
  if (differing.length === 0) {
    emit({ type: 'info', message: `The files here match what was uploaded into ${layout.root} (${manifest.uploaded}).`, verbose: true });
    return;
  }
  const shown = differing.length <= 5 ? differing.join(', ') : `${differing.slice(0, 5).join(', ')} and ${differing.length - 5} more`;
  const remote = remoteFlagOf(request.target.hostId);
  emit({
    type: 'warning',
    message:
      `${differing.length} file${differing.length === 1 ? '' : 's'} here ${differing.length === 1 ? 'differs' : 'differ'} from the copy uploaded into ${container.name} at ${manifest.uploaded} ` +
      `(changed, added or removed on this machine since: ${shown}); spawn never uploads over the container's files. ` +
      `Bring the changes over with git (commit here, pull inside), or start over from this machine's files, losing the container's own changes: ` +
      `pks devcontainer rm ${container.name}${remote} --volumes --force --yes, then spawn again.`,
  });
}
