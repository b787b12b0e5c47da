// How the lifecycle commands name the dev container they acted on, and the
// flags they share.

import { escapeControls } from '../../../common/terminal-text.js';
import type { DevcontainerSummary } from '../../../core/containers/discovery.js';
import type { ContainerTarget } from '../../container-target.js';

export interface TargetFlags {
  remote?: string | undefined;
}

/** The commands that destroy or interrupt the owner's work: another user's container needs --other-user. */
export interface GuardedFlags extends TargetFlags {
  otherUser?: boolean | undefined;
}

/** `api (pks-alice-api-1a2b3c4d, 4f1c…) on r1`; the project name is a label, anyone's to set: one line, escaped. */
export function containerLabel(found: ContainerTarget): string {
  const { container, target } = found;
  const where = target.hostId === 'local' ? '' : ` on ${target.hostId}`;
  return `${escapeControls(container.project)} (${container.name}, ${container.containerId.slice(0, 12)})${where}`;
}

/** ` with its Compose project (3 services)` for a Compose configuration's container, else nothing. */
export function composeNote(container: Pick<DevcontainerSummary, 'compose'>): string {
  const services = container.compose?.services;
  return services === undefined ? '' : ` with its Compose project (${services} service${services === 1 ? '' : 's'})`;
}
