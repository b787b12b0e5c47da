// Where a container is reached on the engine's machine, from an inspect or a
// list answer alike. Light on purpose: `list` shows it.

import type { NetworkSettings } from '../../engine/index.js';

/**
 * The address forwarded ports go to: the container's address on its first
 * network that gives one (the engine's default bridge, as a rule); on the host
 * network, the engine's machine itself. Undefined when it has none
 * (`--network none`, an engine without a bridge, a stopped container).
 */
export function containerAddress(container: { NetworkSettings?: NetworkSettings | null | undefined; HostConfig?: { NetworkMode?: string | undefined } | null | undefined }): string | undefined {
  const settings = container.NetworkSettings;
  const onNetworks = Object.values(settings?.Networks ?? {})
    .map((network) => network.IPAddress)
    .find((address) => address !== undefined && address !== '');
  const address = onNetworks ?? (settings?.IPAddress === '' ? undefined : settings?.IPAddress);
  if (address !== undefined) return address;
  return container.HostConfig?.NetworkMode === 'host' || settings?.Networks?.['host'] !== undefined ? '127.0.0.1' : undefined;
}
