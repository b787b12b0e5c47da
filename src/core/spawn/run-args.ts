// The common `runArgs` of devcontainer.json (docker run flags) turned into
// Engine API create settings. Flags pks does not map are reported, never
// silently dropped, and never passed to a shell.

export interface RunArgsSettings {
  env: string[];
  labels: Record<string, string>;
  capAdd: string[];
  capDrop: string[];
  securityOpt: string[];
  devices: Array<{ PathOnHost: string; PathInContainer: string; CgroupPermissions: string }>;
  extraHosts: string[];
  binds: string[];
  portBindings: Record<string, Array<{ HostIp: string; HostPort: string }>>;
  privileged?: boolean;
  init?: boolean;
  networkMode?: string;
  hostname?: string;
  user?: string;
  memory?: number;
  nanoCpus?: number;
  shmSize?: number;
  ignored: string[];
}

const SIZE_UNITS: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

export function parseByteSize(value: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)([bkmg])?b?$/i.exec(value.trim());
  if (match === null) return undefined;
  return Math.round(Number(match[1]) * (SIZE_UNITS[(match[2] ?? 'b').toLowerCase()] ?? 1));
}

function publish(spec: string, into: RunArgsSettings['portBindings']): boolean {
  // [ip:]hostPort:containerPort[/proto] or containerPort[/proto]
  const match = /^(?:(?:([\d.]+|\[[0-9a-f:]+\]):)?(\d*):)?(\d+)(\/(?:tcp|udp|sctp))?$/i.exec(spec);
  if (match === null) return false;
  const key = `${match[3]}${(match[4] ?? '/tcp').toLowerCase()}`;
  (into[key] ??= []).push({ HostIp: (match[1] ?? '').replace(/^\[|\]$/g, ''), HostPort: match[2] ?? '' });
  return true;
}

export function parseRunArgs(args: readonly string[]): RunArgsSettings {
  const out: RunArgsSettings = { env: [], labels: {}, capAdd: [], capDrop: [], securityOpt: [], devices: [], extraHosts: [], binds: [], portBindings: {}, ignored: [] };
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] ?? '';
    const eq = arg.indexOf('=');
    const long = arg.startsWith('--');
    const flag = long && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = long && eq > 0 ? arg.slice(eq + 1) : undefined;
    const takeValue = (): string | undefined => {
      if (inline !== undefined) return inline;
      i += 1;
      return args[i];
    };
    switch (flag) {
      case '--privileged':
        out.privileged = true;
        break;
      case '--init':
        out.init = true;
        break;
      case '-e':
      case '--env': {
        const value = takeValue();
        if (value !== undefined) out.env.push(value);
        break;
      }
      case '-l':
      case '--label': {
        const value = takeValue() ?? '';
        const at = value.indexOf('=');
        out.labels[at < 0 ? value : value.slice(0, at)] = at < 0 ? '' : value.slice(at + 1);
        break;
      }
      case '--cap-add':
        out.capAdd.push(takeValue() ?? '');
        break;
      case '--cap-drop':
        out.capDrop.push(takeValue() ?? '');
        break;
      case '--security-opt':
        out.securityOpt.push(takeValue() ?? '');
        break;
      case '--device': {
        const [host = '', container, perms] = (takeValue() ?? '').split(':');
        out.devices.push({ PathOnHost: host, PathInContainer: container ?? host, CgroupPermissions: perms ?? 'rwm' });
        break;
      }
      case '--add-host':
        out.extraHosts.push(takeValue() ?? '');
        break;
      case '-v':
      case '--volume':
        out.binds.push(takeValue() ?? '');
        break;
      case '-p':
      case '--publish': {
        const value = takeValue() ?? '';
        if (!publish(value, out.portBindings)) out.ignored.push(`${flag} ${value}`);
        break;
      }
      case '--network':
      case '--net':
        out.networkMode = takeValue() ?? '';
        break;
      case '-h':
      case '--hostname':
        out.hostname = takeValue() ?? '';
        break;
      case '-u':
      case '--user':
        out.user = takeValue() ?? '';
        break;
      case '-m':
      case '--memory': {
        const value = takeValue() ?? '';
        const bytes = parseByteSize(value);
        if (bytes === undefined) out.ignored.push(`${flag} ${value}`);
        else out.memory = bytes;
        break;
      }
      case '--shm-size': {
        const value = takeValue() ?? '';
        const bytes = parseByteSize(value);
        if (bytes === undefined) out.ignored.push(`${flag} ${value}`);
        else out.shmSize = bytes;
        break;
      }
      case '--cpus': {
        const value = takeValue() ?? '';
        const cpus = Number(value);
        if (!Number.isFinite(cpus) || cpus <= 0) out.ignored.push(`${flag} ${value}`);
        else out.nanoCpus = Math.round(cpus * 1e9);
        break;
      }
      default:
        out.ignored.push(arg);
    }
  }
  return out;
}
