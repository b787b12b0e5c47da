// `pks remote env`: DOCKER_HOST pointing at a host's warm connection.

import { warmSocketOf } from '../../../core/remote/remote-env.js';
import { shellQuote } from '../../../devcontainer/feature-options.js';
import type { Context } from '../../context.js';
import { sshPrompts } from '../../ssh-prompts.js';

export async function remoteEnv(ctx: Context, id: string, flags: { format: 'shell' | 'json' }): Promise<void> {
  const socket = await warmSocketOf(id, ctx.env, sshPrompts(ctx));
  const dockerHost = `unix://${socket}`;
  if (flags.format === 'json') ctx.reporter.json({ DOCKER_HOST: dockerHost });
  else ctx.reporter.data(`export DOCKER_HOST=${shellQuote(dockerHost)}\n`);
}
