// How a Feature receives its options: the value in devcontainer.json (an
// object of options, or a string meaning `{ "version": string }`) merged over
// the defaults the Feature declares, then turned into environment variables
// for install.sh with the spec's name rule (non-word characters become `_`,
// a leading run of digits/underscores becomes one `_`, upper case).

import { OperationError } from '../common/errors.js';
import type { FeatureValue } from './config-schema.js';
import type { FeatureMetadata } from './feature-schema.js';

export type FeatureOptionValues = Record<string, string | boolean>;

/** The options the user gave, normalised: strings become `{ version }`, `true`/`false` none. */
export function userOptions(value: FeatureValue): FeatureOptionValues {
  if (typeof value === 'string') return { version: value };
  if (typeof value === 'boolean') return {};
  const out: FeatureOptionValues = {};
  for (const [key, option] of Object.entries(value)) out[key] = typeof option === 'number' ? String(option) : option;
  return out;
}

/** The spec's option-name-to-variable rule. */
export function optionEnvName(option: string): string {
  return option.replace(/[^\w_]/g, '_').replace(/^[\d_]+/g, '_').toUpperCase();
}

/** Defaults, overridden by what the user gave; checks `enum` options. */
export function effectiveOptions(metadata: FeatureMetadata, given: FeatureOptionValues, userId: string): FeatureOptionValues {
  const out: FeatureOptionValues = {};
  for (const [key, option] of Object.entries(metadata.options ?? {})) {
    if (option.default !== undefined) out[key] = option.default;
  }
  for (const [key, value] of Object.entries(given)) {
    const declared = metadata.options?.[key];
    if (declared?.type === 'string' && declared.enum !== undefined && !declared.enum.includes(String(value))) {
      throw new OperationError(
        'E_FEATURE_OPTION',
        `The Feature "${userId}" does not accept ${key}="${String(value)}".`,
        { hint: `Allowed values: ${declared.enum.map((v) => `"${v}"`).join(', ')}.` },
      );
    }
    out[key] = value;
  }
  return out;
}

/** Single-quoted for sh; a `'` inside becomes `'\''`. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The `devcontainer-features.env` file: one `NAME='value'` line per option, sorted. */
export function optionsEnvFile(options: FeatureOptionValues): string {
  return Object.keys(options)
    .sort()
    .map((key) => `${optionEnvName(key)}=${shellQuote(String(options[key]))}\n`)
    .join('');
}
