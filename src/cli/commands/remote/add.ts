// `pks remote add`: the declaration; the work is in add-run.ts, loaded on demand.

import { Option, type Command } from '@commander-js/extra-typings';
import { DEFAULT_DOCKER_SOCKET } from '../../../common/defaults.js';
import type { Context } from '../../context.js';
import { parseNewRemoteId, parseNonEmpty, parsePort, parseRemoteSocketPath, parseSshName } from '../../options.js';
import { examples } from '../examples.js';
import { timeoutOption } from './timeout-option.js';

export function define(parent: Command, ctx: Context): void {
  parent
    .command('add')
    .description('register a remote host (tests it first unless --no-test)')
    .argument('<id>', 'short name for the host: lowercase letters, digits, "-", "_"', parseNewRemoteId)
    .requiredOption('--host <host>', 'host name, address or ~/.ssh/config alias', parseSshName)
    .option('--user <user>', 'SSH login user', parseSshName)
    .option('--port <port>', 'SSH port', parsePort)
    .option('--key <path>', 'private key file', parseNonEmpty)
    .option('--docker-socket <path>', `engine socket path on the host (default: ${DEFAULT_DOCKER_SOCKET}, else the Podman socket the test finds)`, parseRemoteSocketPath)
    .option('--no-test', 'save without connecting first')
    .option('--force', 'replace an existing entry with the same id')
    // Both only change the test, which --no-test skips: together they would be ignored.
    .addOption(new Option('--accept-new-host-key', 'trust the host key of a host not yet in known_hosts').conflicts('test'))
    .addOption(timeoutOption().conflicts('test'))
    .addHelpText(
      'after',
      examples([
        ['pks remote add hetzner --host 203.0.113.7 --user dev --key ~/.ssh/id_ed25519', 'register and test a host'],
        ['pks remote add box --host box', 'use the "box" alias from ~/.ssh/config (HostName, User, Port, IdentityFile, ProxyJump)'],
        ['pks remote add ci --host 10.0.0.9 --accept-new-host-key', 'trust a new host key without asking (scripts)'],
      ]),
    )
    .action(async (id, flags) => (await import('./add-run.js')).remoteAdd(ctx, id, flags));
}
