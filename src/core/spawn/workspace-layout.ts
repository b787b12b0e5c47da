// Where the workspace lives in a dev container: the folder the project's
// files go to (its root), the folder tools open (workspaceFolder, the root or
// a folder below it), and where the named volume holding them is mounted.
//
// By default the volume is mounted at /workspaces and the project is
// /workspaces/<project>, as the spec's default bind mount would place it. A
// "workspaceMount" target, or a workspaceFolder outside /workspaces, moves
// the project there; outside /workspaces the volume is mounted at the root
// itself (a volume cannot be mounted at a folder's parent without hiding what
// the image has there).

import path from 'node:path';
import type { LoadedDevcontainerConfig } from '../../devcontainer/index.js';
import type { ContainerInspect } from '../containers/container-info.js';
import { LABELS } from '../containers/labels.js';

export const WORKSPACES_ROOT = '/workspaces';

export interface WorkspaceLayout {
  /** The project's folder in the container: where its files are uploaded. */
  root: string;
  /** Where the workspace volume is mounted: /workspaces, or the root itself. */
  mountPoint: string;
}

function isWithin(folder: string, parent: string): boolean {
  return folder === parent || folder.startsWith(`${parent}/`);
}

function layoutFor(root: string): WorkspaceLayout {
  return { root, mountPoint: root.startsWith(`${WORKSPACES_ROOT}/`) ? WORKSPACES_ROOT : root };
}

/** The layout of a configuration (its paths are absolute and normalised by the config engine). */
export function workspaceLayout(loaded: Pick<LoadedDevcontainerConfig, 'workspaceFolder' | 'workspaceMountTarget'>, dirName: string): WorkspaceLayout {
  const automatic = `${WORKSPACES_ROOT}/${dirName}`;
  // A workspaceFolder below the automatic location opens a folder of the
  // project (a monorepo's package); elsewhere it says where the project is.
  const root = loaded.workspaceMountTarget ?? (isWithin(loaded.workspaceFolder, automatic) ? automatic : loaded.workspaceFolder);
  return layoutFor(root);
}

/** The layout an existing container was created with. */
export function layoutOf(inspect: ContainerInspect, dirName: string): WorkspaceLayout {
  const labels = inspect.Config.Labels ?? {};
  const root = labels[LABELS.workspaceRoot];
  if (root !== undefined && root !== '') return layoutFor(root);
  // Created before the root had a label: the workspace folder when it was
  // under /workspaces, else /workspaces/<project>.
  const folder = labels[LABELS.workspaceFolder] ?? '';
  return layoutFor(folder.startsWith(`${WORKSPACES_ROOT}/`) ? folder : `${WORKSPACES_ROOT}/${dirName}`);
}

/**
 * The folder an upload's archive is extracted in, its entries named from
 * there: the mount point, or the root's parent when the volume is mounted at
 * the root (so that the root's own entry sets its owner).
 */
export function uploadBase(layout: WorkspaceLayout): string {
  return layout.root === layout.mountPoint ? path.posix.dirname(layout.root) : layout.mountPoint;
}

/** The project-relative `file` inside the container. */
export function inWorkspace(layout: WorkspaceLayout, file: string): string {
  return path.posix.join(layout.root, file.split(path.sep).join('/'));
}
