// Run as a child process by workspace-upload.test.ts (so that a spawn which
// blocks its event loop can be killed from outside): spawns PROJECT on WHERE
// through the core pipeline and, the moment the upload step starts (after
// the file set was planned), replaces PROJECT/SWAP by KIND: `symlink` (a
// symlink to TARGET), `fifo`, or `folder` (SWAP is a folder, replaced by a
// symlink to the folder TARGET). Prints one JSON line: the outcome, or the
// error's code, message and hint.
//
//   node --import tsx upload-swap-child.ts WHERE PROJECT SWAP KIND [TARGET]

import { execFileSync } from 'node:child_process';
import { renameSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { isPksError } from '../../src/common/errors.js';
import { spawnDevcontainer } from '../../src/core/spawn/spawn.js';
import type { SpawnEvent } from '../../src/core/spawn/types.js';
import { engineFor, type Where } from '../helpers/projects.js';
import { loadTestEnv } from '../helpers/test-env.js';

const [where = 'local', projectPath = '', swap = '', kind = '', target = ''] = process.argv.slice(2);
const env = loadTestEnv();
const engine = await engineFor(env, where as Where);
const file = path.join(projectPath, swap);

function replace(): void {
  renameSync(file, `${file}.planned`);
  if (kind === 'fifo') execFileSync('mkfifo', [file]);
  else symlinkSync(target, file);
}

let swapped = false;
const onEvent = (event: SpawnEvent): void => {
  if (event.type === 'phase-start' && event.phase === 'upload' && !swapped) {
    swapped = true;
    replace();
  }
};

let line: Record<string, unknown>;
try {
  const result = await spawnDevcontainer({
    projectPath,
    cwd: projectPath,
    env: {},
    localUser: 'pks-test',
    target: { engine, hostId: where, description: where === 'local' ? 'the local engine' : `remote host "${where}"` },
    rebuild: 'auto',
    force: false,
    includeIgnored: false,
    host: { listFiles: async () => undefined, runInitializeCommand: async () => undefined },
    onEvent,
  });
  line = { outcome: 'success', swapped, containerId: result.containerId };
} catch (error) {
  line = { outcome: 'error', swapped, code: isPksError(error) ? error.code : 'E_INTERNAL', message: error instanceof Error ? error.message : String(error), hint: isPksError(error) ? error.hint : undefined };
}
await engine.close();
process.stdout.write(`${JSON.stringify(line)}\n`);
