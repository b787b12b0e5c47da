// `pks remote ...`: the registry of SSH hosts that run dev containers.
// Declarations only; each action loads its implementation on demand.

import { Command, Option } from '@commander-js/extra-typings';
import { DEFAULT_DOCKER_SOCKET } from '../../common/defaults.js';
import type { Context } from '../context.js';
import { formatOption, parseNewRemoteId, parseNonEmpty, parsePositiveInt, parsePort, parseRemoteId, parseRemoteSocketPath, parseSshName } from '../options.js';
import { examples } from './examples.js';

const actions = () => import('./remote-actions.js');

function timeoutOption(defaultSeconds = 10) {
  return new Option('--timeout <seconds>', `SSH connect timeout in seconds (default: ${defaultSeconds})`).argParser(parsePositiveInt);
}

export function remoteCommand(ctx: Context) {
  const remote = new Command('remote')
    .description('register and check remote hosts that run dev containers over SSH')
    .addHelpText(
      'after',
      examples([
        ['pks remote add hetzner --host 203.0.113.7 --user dev --key ~/.ssh/id_ed25519', 'register a host'],
        ['pks remote test hetzner', 'check SSH, host key and the Docker engine'],
        ['pks remote list --format json', 'registered hosts as JSON'],
      ]),
    );

  remote
    .command('add')
    .description('register a remote host (tests it first unless --no-test)')
    .argument('<id>', 'short name for the host: lowercase letters, digits, "-", "_"', parseNewRemoteId)
    .requiredOption('--host <host>', 'host name, address or ~/.ssh/config alias', parseSshName)
    .option('--user <user>', 'SSH login user', parseSshName)
    .option('--port <port>', 'SSH port', parsePort)
    .option('--key <path>', 'private key file', parseNonEmpty)
    .option('--docker-socket <path>', 'Docker socket path on the host', parseRemoteSocketPath, DEFAULT_DOCKER_SOCKET)
    .option('--no-test', 'save without connecting first')
    .option('--force', 'replace an existing entry with the same id')
    .option('--accept-new-host-key', 'trust the host key of a host not yet in known_hosts')
    .addOption(timeoutOption())
    .addHelpText(
      'after',
      examples([
        ['pks remote add hetzner --host 203.0.113.7 --user dev --key ~/.ssh/id_ed25519', 'register and test a host'],
        ['pks remote add box --host box', 'use the "box" alias from ~/.ssh/config (HostName, User, Port, IdentityFile, ProxyJump)'],
        ['pks remote add ci --host 10.0.0.9 --accept-new-host-key', 'trust a new host key without asking (scripts)'],
      ]),
    )
    .action(async (id, flags) => (await actions()).remoteAdd(ctx, id, flags));

  remote
    .command('list')
    .description('list registered remote hosts')
    .addOption(formatOption())
    .addHelpText(
      'after',
      examples([
        ['pks remote list', 'ids, where pks connects, keys, engines'],
        ['pks remote list --format json', 'the registry as JSON'],
      ]),
    )
    .action(async (flags) => (await actions()).remoteList(ctx, flags));

  remote
    .command('test')
    .description('check a remote host step by step: DNS, TCP, host key, auth, Docker')
    .argument('<id>', 'remote host id', parseRemoteId)
    .addOption(formatOption())
    .option('--accept-new-host-key', 'trust the host key of a host not yet in known_hosts')
    .addOption(timeoutOption())
    .addHelpText(
      'after',
      examples([
        ['pks remote test hetzner', 'each step, from DNS to the engine\'s free disk'],
        ['pks remote test hetzner --accept-new-host-key', 'trust a host key seen for the first time'],
        ['pks remote test hetzner --format json', 'the steps as JSON (exit 1 if one failed)'],
      ]),
    )
    .action(async (id, flags) => (await actions()).remoteTest(ctx, id, flags));

  remote
    .command('remove')
    .description('forget a remote host (its containers are not touched)')
    .argument('<id>', 'remote host id', parseRemoteId)
    .addOption(new Option('-y, --yes', 'do not ask for confirmation'))
    .addOption(timeoutOption(5))
    .addHelpText(
      'after',
      examples([
        ['pks remote remove hetzner --yes', 'forget the host; its containers keep running there'],
      ]),
    )
    .action(async (id, flags) => (await actions()).remoteRemove(ctx, id, flags));

  return remote;
}
