// What to run when the local engine is not answering, said for what runs it
// here: the context's own tool (colima, Docker Desktop, rootless dockerd),
// systemd only where systemd runs, else dockerd itself.

import { existsSync } from 'node:fs';
import type { EndpointOrigin } from './docker-context.js';
import type { LocalEndpoint } from './docker-host.js';

/** `/run/systemd/system` exists exactly when systemd is the running init (sd_booted(3)). */
export function systemdRunning(root = '/'): boolean {
  return existsSync(`${root}run/systemd/system`);
}

export function engineStartHint(endpoint: LocalEndpoint, origin: EndpointOrigin, systemd: boolean = systemdRunning()): string {
  const socket = endpoint.kind === 'unix' ? endpoint.socketPath : '';
  const context = origin.kind === 'context' ? origin.name : '';
  const switchAway = origin.kind === 'context' ? (origin.from === 'DOCKER_CONTEXT' ? ', or unset DOCKER_CONTEXT' : ', or switch with `docker context use default`') : '';
  if (/colima/.test(context) || socket.includes('/.colima/')) {
    // colima names a profile's context colima-<profile>.
    const profile = /^colima-(.+)$/.exec(context)?.[1];
    return `Start colima (\`colima start${profile === undefined ? '' : ` --profile ${profile}`}\`), which runs this engine${switchAway}.`;
  }
  if (context === 'desktop-linux' || socket.includes('/.docker/desktop/')) return `Start Docker Desktop, which runs this engine${switchAway}.`;
  if (/^\/run\/user\/\d+\//.test(socket)) {
    return systemd ? `Start your rootless engine (\`systemctl --user start docker\`)${switchAway}.` : `Start your rootless engine (\`dockerd-rootless.sh\`)${switchAway}.`;
  }
  if (origin.kind === 'context') return `Start the engine the docker context "${context}" points at (${socket})${switchAway}.`;
  const start = systemd ? 'e.g. `sudo systemctl start docker`' : 'e.g. `sudo dockerd`, or the docker service of your init system';
  return origin.kind === 'DOCKER_HOST' ? `Start the Docker engine at DOCKER_HOST (${start}), or fix DOCKER_HOST.` : `Start the Docker engine (${start}), or point DOCKER_HOST at its socket.`;
}
