// `pks remote test`: check a registered host step by step, and record what it can do.

import { OperationError } from '../../../common/errors.js';
import { withoutUndefined } from '../../../common/defined.js';
import { DEFAULT_DOCKER_SOCKET, describeHost } from '../../../store/remote-host-store.js';
import type { Context } from '../../context.js';
import type { OutputFormat } from '../../options.js';
import { failedStep, formatStep, runChecks, storeOf, type ConnectFlags } from './host-checks.js';

export async function remoteTest(ctx: Context, id: string, flags: ConnectFlags & { format: OutputFormat }): Promise<void> {
  const store = storeOf(ctx);
  const entry = await store.require(id);
  const json = flags.format === 'json';
  if (!json) ctx.reporter.info(`Testing remote host "${id}" (${describeHost(entry)})...`);
  // The steps are what `remote test` reports: data, on stdout.
  // An entry on the default socket may be a Podman host (or have become one): look for its socket.
  const findSocket = entry.dockerSocket === DEFAULT_DOCKER_SOCKET;
  const result = await runChecks(ctx, entry, flags, json ? undefined : (step) => ctx.reporter.data(formatStep(step)), findSocket);
  if (result.ok) {
    // Only what the test found: a key present and undefined would erase the stored value.
    await store.update(
      id,
      withoutUndefined({
        lastTestedAt: new Date().toISOString(),
        capabilities: result.capabilities,
        dockerSocket: result.foundSocket,
      }),
    );
  }
  if (json) ctx.reporter.json({ id, ok: result.ok, steps: result.steps, capabilities: result.capabilities ?? null });
  const failed = failedStep(result);
  if (failed !== undefined) {
    throw new OperationError('E_REMOTE_TEST_FAILED', `Remote host "${id}" failed the ${failed.title} step.`, {
      hint: failed.hint ?? `Run with --verbose for details.`,
    });
  }
  if (!json) ctx.reporter.success(`Remote host "${id}" is ready.`);
}
