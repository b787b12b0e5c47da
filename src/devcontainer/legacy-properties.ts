// Top-level "extensions", "settings" and "devPort": what VS Code read before
// "customizations.vscode" existed. Real projects still carry them, and VS Code
// and the reference CLI read them as if they were under customizations.vscode
// (extensions appended, settings under customizations winning, devPort only
// when customizations has none). pks does the same for the metadata it writes,
// so the editor installs those extensions.

import type { DevcontainerConfig } from './config-schema.js';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');

type LegacyProperties = { extensions?: string[]; settings?: Json; devPort?: number };

/** Which legacy properties `parsed` holds in the form they were read in (others stay unknown-property warnings). */
function legacyVscodeProperties(parsed: unknown): LegacyProperties {
  if (!isObject(parsed)) return {};
  const found: LegacyProperties = {};
  if (isStringArray(parsed['extensions'])) found.extensions = parsed['extensions'];
  if (isObject(parsed['settings'])) found.settings = parsed['settings'];
  if (typeof parsed['devPort'] === 'number') found.devPort = parsed['devPort'];
  return found;
}

/** `config` with the legacy properties of `parsed` moved under customizations.vscode, and the names of those that were. */
export function withLegacyVscodeProperties(config: DevcontainerConfig, parsed: unknown): { config: DevcontainerConfig; migrated: string[] } {
  const legacy = legacyVscodeProperties(parsed);
  const migrated = Object.keys(legacy);
  if (migrated.length === 0) return { config, migrated };
  const customizations = config.customizations ?? {};
  const current = customizations['vscode'];
  const vscode: Json = isObject(current) ? { ...current } : {};
  if (legacy.extensions !== undefined) vscode['extensions'] = [...(isStringArray(vscode['extensions']) ? vscode['extensions'] : []), ...legacy.extensions];
  if (legacy.settings !== undefined) vscode['settings'] = { ...legacy.settings, ...(isObject(vscode['settings']) ? vscode['settings'] : {}) };
  if (legacy.devPort !== undefined && vscode['devPort'] === undefined) vscode['devPort'] = legacy.devPort;
  return { config: { ...config, customizations: { ...customizations, vscode } }, migrated };
}
