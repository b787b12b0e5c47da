// The schema of devcontainer.json, after the spec's JSON schema
// (devContainer.base.schema.json). Every property the spec defines is known
// here, even those pks does not act on (compose, ports), so that only real
// typos and foreign properties end up as "unknown property" warnings.

import * as z from 'zod';

const COMMAND_FORMS = 'a string, an array of strings, or an object whose values are strings or arrays of strings';

/** A lifecycle command: shell string, exec array, or named commands run in parallel. */
export const lifecycleCommandSchema = z.union(
  [z.string(), z.array(z.string()), z.record(z.string(), z.union([z.string(), z.array(z.string())]))],
  { error: `expected ${COMMAND_FORMS}` },
);
export type LifecycleCommand = z.infer<typeof lifecycleCommandSchema>;

export const mountObjectSchema = z.object({
  type: z.enum(['bind', 'volume']),
  source: z.string().optional(),
  target: z.string(),
});
export type MountObject = z.infer<typeof mountObjectSchema>;

/** `--mount` syntax (`type=volume,source=x,target=/y`) or an object. */
export const mountSchema = z.union([z.string(), mountObjectSchema], {
  error: 'expected a mount string ("type=…,source=…,target=…") or an object with type ("bind" or "volume"), source and target',
});
export type Mount = z.infer<typeof mountSchema>;

const sizePattern = /^\d+([tgmk]b)?$/;
const sizeSchema = z.string().regex(sizePattern, { error: 'expected a size such as "4gb", "512mb" or a number of bytes' });

export const hostRequirementsSchema = z.object({
  cpus: z.number().int().min(1).optional(),
  memory: sizeSchema.optional(),
  storage: sizeSchema.optional(),
  gpu: z
    .union([z.boolean(), z.literal('optional'), z.object({ cores: z.number().int().min(1).optional(), memory: sizeSchema.optional() })], {
      error: 'expected true, false, "optional" or an object with cores and memory',
    })
    .optional(),
});
export type HostRequirements = z.infer<typeof hostRequirementsSchema>;

const portAttributesSchema = z.looseObject({
  label: z.string().optional(),
  onAutoForward: z.enum(['notify', 'openBrowser', 'openBrowserOnce', 'openPreview', 'silent', 'ignore']).optional(),
  elevateIfNeeded: z.boolean().optional(),
  requireLocalPort: z.boolean().optional(),
  protocol: z.enum(['http', 'https']).optional(),
});

const forwardPortSchema = z.union([z.number().int().min(0).max(65535), z.string().regex(/^([a-z0-9-]+):(\d{1,5})$/)], {
  error: 'expected a port number (0-65535) or "host:port"',
});

/** Option values a Feature accepts from devcontainer.json. */
export const featureOptionValueSchema = z.union([z.string(), z.boolean(), z.number()], {
  error: 'expected a string or a boolean',
});
export const featureValueSchema = z.union([z.string(), z.boolean(), z.record(z.string(), featureOptionValueSchema)], {
  error: 'expected an object of options, or a version string',
});
export type FeatureValue = z.infer<typeof featureValueSchema>;

export const buildSchema = z.object({
  dockerfile: z.string().optional(),
  context: z.string().optional(),
  args: z.record(z.string(), z.string()).optional(),
  target: z.string().optional(),
  cacheFrom: z.union([z.string(), z.array(z.string())], { error: 'expected an image name or an array of image names' }).optional(),
  options: z.array(z.string()).optional(),
});

const stringArray = z.array(z.string());

export const devcontainerConfigSchema = z.object({
  $schema: z.string().optional(),
  name: z.string().optional(),
  // Image and Dockerfile
  image: z.string().optional(),
  build: buildSchema.optional(),
  /** Deprecated spelling of build.dockerfile. */
  dockerFile: z.string().optional(),
  /** Deprecated spelling of build.context. */
  context: z.string().optional(),
  appPort: z.union([z.number().int(), z.string(), z.array(z.union([z.number().int(), z.string()]))]).optional(),
  runArgs: stringArray.optional(),
  workspaceMount: z.string().optional(),
  workspaceFolder: z.string().optional(),
  // Docker Compose
  dockerComposeFile: z.union([z.string(), stringArray], { error: 'expected a file name or an array of file names' }).optional(),
  service: z.string().optional(),
  runServices: stringArray.optional(),
  shutdownAction: z.enum(['none', 'stopContainer', 'stopCompose']).optional(),
  // General
  features: z.record(z.string(), featureValueSchema).optional(),
  overrideFeatureInstallOrder: stringArray.optional(),
  forwardPorts: z.array(forwardPortSchema).optional(),
  portsAttributes: z.record(z.string(), portAttributesSchema).optional(),
  otherPortsAttributes: portAttributesSchema.optional(),
  containerEnv: z.record(z.string(), z.string()).optional(),
  remoteEnv: z.record(z.string(), z.string().nullable()).optional(),
  containerUser: z.string().optional(),
  remoteUser: z.string().optional(),
  updateRemoteUserUID: z.boolean().optional(),
  userEnvProbe: z.enum(['none', 'loginShell', 'loginInteractiveShell', 'interactiveShell']).optional(),
  overrideCommand: z.boolean().optional(),
  init: z.boolean().optional(),
  privileged: z.boolean().optional(),
  capAdd: stringArray.optional(),
  securityOpt: stringArray.optional(),
  mounts: z.array(mountSchema).optional(),
  customizations: z.record(z.string(), z.unknown()).optional(),
  hostRequirements: hostRequirementsSchema.optional(),
  secrets: z.record(z.string(), z.looseObject({ description: z.string().optional(), documentationUrl: z.string().optional() })).optional(),
  waitFor: z
    .enum(['initializeCommand', 'onCreateCommand', 'updateContentCommand', 'postCreateCommand', 'postStartCommand'])
    .optional(),
  initializeCommand: lifecycleCommandSchema.optional(),
  onCreateCommand: lifecycleCommandSchema.optional(),
  updateContentCommand: lifecycleCommandSchema.optional(),
  postCreateCommand: lifecycleCommandSchema.optional(),
  postStartCommand: lifecycleCommandSchema.optional(),
  postAttachCommand: lifecycleCommandSchema.optional(),
});
export type DevcontainerConfig = z.infer<typeof devcontainerConfigSchema>;

/** Objects whose keys are checked for typos, by path; the others are open maps. */
export const CHECKED_OBJECTS: ReadonlyArray<{ path: readonly string[]; keys: readonly string[] }> = [
  { path: [], keys: Object.keys(devcontainerConfigSchema.shape) },
  { path: ['build'], keys: Object.keys(buildSchema.shape) },
  { path: ['hostRequirements'], keys: Object.keys(hostRequirementsSchema.shape) },
];

/** Properties VS Code once read at the top level; now under customizations.vscode. */
export const LEGACY_VSCODE_PROPERTIES: ReadonlySet<string> = new Set(['extensions', 'settings', 'devPort']);
