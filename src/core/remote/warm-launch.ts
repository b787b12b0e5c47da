// How this pks starts a warm-connection holder (a detached copy of itself).
// Registered by the CLI's entry point, which alone may start processes; when
// nothing is registered (pks driven in-process, as in tests of the core),
// every command connects directly.

import type { HolderLauncher } from '../../engine/warm-engine.js';

let launcher: HolderLauncher | undefined;

export function registerHolderLauncher(launch: HolderLauncher): void {
  launcher = launch;
}

export function holderLauncher(): HolderLauncher | undefined {
  return launcher;
}
