// The URI that opens a folder inside a container in VS Code. The authority
// `attached-container+<hex of {"containerName":"/name"}>` attaches to the
// container by name; for a container on a remote engine it is nested behind
// Remote-SSH: `attached-container+<hex>@ssh-remote+<ssh host alias>`, so VS
// Code first reaches the host over SSH, then attaches to the container there.
// (`vscode-remote://ssh-remote+host/path` alone would open the host's folder,
// not the container's.)

import { withoutUndefined } from '../../common/defined.js';

export interface ContainerUriInput {
  /** Without the leading slash. */
  containerName: string;
  /** Absolute path inside the container. */
  workspaceFolder: string;
  /** For a remote engine: the ssh_config Host alias that reaches its host. */
  sshHostAlias?: string | undefined;
}

export function containerAuthority(containerName: string): string {
  const json = JSON.stringify({ containerName: `/${containerName.replace(/^\//, '')}` });
  return `attached-container+${Buffer.from(json, 'utf8').toString('hex')}`;
}

export function vscodeContainerUri(input: ContainerUriInput): string {
  const authority =
    input.sshHostAlias === undefined ? containerAuthority(input.containerName) : `${containerAuthority(input.containerName)}@ssh-remote+${input.sshHostAlias}`;
  const folder = input.workspaceFolder.startsWith('/') ? input.workspaceFolder : `/${input.workspaceFolder}`;
  const path = folder.split('/').map((segment) => encodeURIComponent(segment)).join('/');
  return `vscode-remote://${authority}${path}`;
}

/** The parts of such a URI, decoded (for tests and `--verbose`). */
export function decodeContainerUri(uri: string): { containerName: string; sshHostAlias?: string; workspaceFolder: string } {
  const match = /^vscode-remote:\/\/attached-container\+([0-9a-f]+)(?:@ssh-remote\+([^/]+))?(\/.*)?$/.exec(uri);
  if (match === null) throw new Error(`not an attached-container URI: ${uri}`);
  const parsed = JSON.parse(Buffer.from(match[1] ?? '', 'hex').toString('utf8')) as { containerName: string };
  return withoutUndefined({
    containerName: parsed.containerName,
    sshHostAlias: match[2],
    workspaceFolder: decodeURIComponent(match[3] ?? '/'),
  });
}
