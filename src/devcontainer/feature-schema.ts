// devcontainer-feature.json, after the spec's devContainerFeature.schema.json.
// Loose at the top level: Feature authors add their own fields, and a Feature
// that works in the reference CLI should not fail here over a new property.

import * as z from 'zod';
import { featureValueSchema, lifecycleCommandSchema } from './config-schema.js';

const featureMountSchema = z.union(
  [z.string(), z.object({ type: z.enum(['bind', 'volume']), source: z.string().optional(), target: z.string() })],
  { error: 'expected a mount string or an object with type, source and target' },
);

export const featureOptionSchema = z.union(
  [
    z.looseObject({ type: z.literal('boolean'), default: z.boolean().optional(), description: z.string().optional() }),
    z.looseObject({
      type: z.literal('string'),
      default: z.string().optional(),
      enum: z.array(z.string()).optional(),
      proposals: z.array(z.string()).optional(),
      description: z.string().optional(),
    }),
  ],
  { error: 'expected an option with "type": "boolean" or "string"' },
);

export const featureMetadataSchema = z.looseObject({
  id: z.string().min(1),
  version: z.string().optional(),
  name: z.string().optional(),
  description: z.string().optional(),
  documentationURL: z.string().optional(),
  options: z.record(z.string(), featureOptionSchema).optional(),
  containerEnv: z.record(z.string(), z.string()).optional(),
  privileged: z.boolean().optional(),
  init: z.boolean().optional(),
  capAdd: z.array(z.string()).optional(),
  securityOpt: z.array(z.string()).optional(),
  entrypoint: z.string().optional(),
  mounts: z.array(featureMountSchema).optional(),
  customizations: z.record(z.string(), z.unknown()).optional(),
  installsAfter: z.array(z.string()).optional(),
  dependsOn: z.record(z.string(), featureValueSchema).optional(),
  legacyIds: z.array(z.string()).optional(),
  deprecated: z.boolean().optional(),
  onCreateCommand: lifecycleCommandSchema.optional(),
  updateContentCommand: lifecycleCommandSchema.optional(),
  postCreateCommand: lifecycleCommandSchema.optional(),
  postStartCommand: lifecycleCommandSchema.optional(),
  postAttachCommand: lifecycleCommandSchema.optional(),
});
export type FeatureMetadata = z.infer<typeof featureMetadataSchema>;
