// The dev container spec engine: the public surface used by core and the CLI.
// Reading a configuration needs no engine; preparing an image does (src/image).

export { findConfigCandidates, locateConfig, locateConfigFile, type ConfigChooser, type LocatedConfig } from './config-files.js';
export { computeConfigHash, diffHashInputs, canonicalJson, CONFIG_HASH_VERSION, type ConfigHash, type HashInput, type HashChange } from './config-hash.js';
export type { DevcontainerConfig, LifecycleCommand, Mount, MountObject, HostRequirements } from './config-schema.js';
export type { ImageSource } from './config-source.js';
export { devcontainerId, devcontainerIdLabels, LOCAL_FOLDER_LABEL, CONFIG_FILE_LABEL } from './devcontainer-id.js';
export type { ResolvedFeature } from './feature-resolve.js';
export {
  METADATA_LABEL,
  LIFECYCLE_HOOKS,
  parseMetadataLabel,
  serializeMetadataLabel,
  type ImageMetadataEntry,
  type LifecycleHook,
} from './image-metadata.js';
export { loadDevcontainerConfig, substitutionContext, substituteEntries, type LoadDevcontainerOptions, type LoadedDevcontainerConfig } from './load-config.js';
export { mergeConfiguration, lifecycleCommandsByHook, parseMountString, type MergedDevcontainerConfig, type OriginCommand } from './merge.js';
export { substituteContainerEnv, substituteLocal, envListToObject } from './substitute.js';
export { formatWarning, type ConfigWarning } from './validate.js';
export { ociFeatureFetcher, defaultFeatureCacheDir, type FeatureFetcher, type PublishedFeature } from './oci/feature-fetcher.js';
export { lookupRegistryCredentials, registryAuthHeader, type RegistryCredentials } from './oci/registry-auth.js';
