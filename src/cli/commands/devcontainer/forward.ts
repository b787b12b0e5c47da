// `pks devcontainer forward`: the declaration; the work is in forward-run.ts, loaded on demand.

import type { Command } from '@commander-js/extra-typings';
import type { Context } from '../../context.js';
import { examples } from '../examples.js';
import { containerCommand } from './container-command.js';

export function define(parent: Command, ctx: Context): void {
  containerCommand(parent, 'forward', 'forward ports on 127.0.0.1 here to a dev container, until Ctrl-C')
    .argument('[port...]', 'port[:local]: the container\'s port, and the local port (default: the same, or the next free one); default: the configuration\'s forwardPorts and appPort')
    .addHelpText(
      'after',
      examples([
        ['pks devcontainer forward', 'the current folder\'s container: its forwardPorts and appPort'],
        ['pks devcontainer forward api 3000 8080:18080 --remote hetzner', 'port 3000 on 127.0.0.1:3000, 8080 on 127.0.0.1:18080'],
        ['pks devcontainer forward 5432', 'a first argument that is a port names a port, not a container'],
      ]),
    )
    .action(async (container, ports, flags) => (await import('./forward-run.js')).forwardCommand(ctx, container, ports, flags));
}
