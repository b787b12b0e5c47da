// Which ports `forward` forwards, and to which local port: the command line's
// `port[:local]` specs, or the configuration's `forwardPorts` and `appPort`
// with their `portsAttributes`. Pure: no engine, no sockets.

import { UsageError } from '../../common/errors.js';

/** One port to forward: the container's port, the local port asked for, and what to call it. */
export interface PortForwardPlan {
  containerPort: number;
  /** The local port wanted; the next free one is taken when busy, unless `requireLocalPort`. */
  localPort: number;
  /** Fail rather than take another local port (portsAttributes.requireLocalPort, or an explicit `port:local`). */
  requireLocalPort: boolean;
  /** portsAttributes.label, else where the port came from. */
  label: string;
}

const PORT_SPEC = /^(\d{1,5})(?::(\d{1,5}))?$/;

function checkPort(value: string, spec: string, which: string): number {
  const port = Number.parseInt(value, 10);
  if (port < 1 || port > 65535) {
    throw new UsageError(`The ${which} port in "${spec}" is ${port}: ports are 1 to 65535.`, {
      code: 'E_BAD_PORT',
      hint: 'Give ports as <container port> or <container port>:<local port>, e.g. 8080 or 8080:18080.',
    });
  }
  return port;
}

/** `8080` (the same local port, or the next free one) or `8080:18080` (exactly that local port). */
export function parsePortSpec(spec: string): PortForwardPlan {
  const match = PORT_SPEC.exec(spec.trim());
  if (match === null) {
    throw new UsageError(`"${spec}" is not a port to forward.`, {
      code: 'E_BAD_PORT',
      hint: 'Give ports as <container port> or <container port>:<local port>, e.g. 8080 or 8080:18080.',
    });
  }
  const containerPort = checkPort(match[1] ?? '', spec, 'container');
  const local = match[2];
  return {
    containerPort,
    localPort: local === undefined ? containerPort : checkPort(local, spec, 'local'),
    requireLocalPort: local !== undefined,
    label: 'command line',
  };
}

/** What the configuration says about ports, as the container recorded it. */
export interface PortConfiguration {
  forwardPorts?: ReadonlyArray<number | string> | undefined;
  portsAttributes?: Readonly<Record<string, unknown>> | undefined;
  otherPortsAttributes?: Readonly<Record<string, unknown>> | undefined;
  /** The container ports the engine publishes (appPort, `-p` in runArgs). */
  appPorts?: readonly number[] | undefined;
  /** The container's Compose service, if any: `"service:port"` entries of other services are not this container's. */
  service?: string | undefined;
}

interface PortAttributes {
  label?: string;
  onAutoForward?: string;
  requireLocalPort?: boolean;
}

function attributesOf(value: unknown): PortAttributes | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  return {
    ...(typeof record['label'] === 'string' ? { label: record['label'] } : {}),
    ...(typeof record['onAutoForward'] === 'string' ? { onAutoForward: record['onAutoForward'] } : {}),
    ...(typeof record['requireLocalPort'] === 'boolean' ? { requireLocalPort: record['requireLocalPort'] } : {}),
  };
}

/** portsAttributes keys are a port (`3000`), a range (`3000-3010`) or, as VS Code reads them, a regular expression; the first that fits wins. */
function attributesFor(port: number, config: PortConfiguration): PortAttributes | undefined {
  for (const [key, value] of Object.entries(config.portsAttributes ?? {})) {
    const range = /^(\d+)-(\d+)$/.exec(key);
    const fits = /^\d+$/.test(key)
      ? Number(key) === port
      : range !== null
        ? port >= Number(range[1]) && port <= Number(range[2])
        : matchesPattern(key, port);
    if (fits) return attributesOf(value);
  }
  return attributesOf(config.otherPortsAttributes);
}

function matchesPattern(pattern: string, port: number): boolean {
  try {
    return new RegExp(pattern).test(String(port));
  } catch {
    return false;
  }
}

/** `3000`, `"localhost:3000"` or `"<service>:3000"`: the port, when it is this container's. */
function ownPort(entry: number | string, service: string | undefined): number | undefined {
  if (typeof entry === 'number') return entry;
  const match = /^([^:]+):(\d+)$/.exec(entry);
  if (match === null) return undefined;
  const host = match[1];
  if (host !== 'localhost' && host !== '127.0.0.1' && host !== service) return undefined;
  return Number(match[2]);
}

/** The command line's `port[:local]` specs, labelled as the configuration labels those ports. */
export function commandLineForwards(specs: readonly string[], config: PortConfiguration): PortForwardPlan[] {
  return specs.map((spec) => {
    const plan = parsePortSpec(spec);
    return { ...plan, label: attributesFor(plan.containerPort, config)?.label ?? plan.label };
  });
}

/**
 * The configuration's ports in order, `forwardPorts` first, then the
 * published `appPort`s, each once; `onAutoForward: "ignore"` leaves a port
 * out, and another Compose service's `"service:port"` is not this container's.
 */
export function configuredForwards(config: PortConfiguration): PortForwardPlan[] {
  const seen = new Set<number>();
  const plans: PortForwardPlan[] = [];
  const add = (port: number | undefined, source: string): void => {
    if (port === undefined || !Number.isInteger(port) || port < 1 || port > 65535 || seen.has(port)) return;
    seen.add(port);
    const attributes = attributesFor(port, config);
    if (attributes?.onAutoForward === 'ignore') return;
    plans.push({ containerPort: port, localPort: port, requireLocalPort: attributes?.requireLocalPort === true, label: attributes?.label ?? source });
  };
  for (const entry of config.forwardPorts ?? []) add(ownPort(entry, config.service), 'forwardPorts');
  for (const port of config.appPorts ?? []) add(port, 'appPort');
  return plans;
}
