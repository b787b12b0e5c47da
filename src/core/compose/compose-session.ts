// What a spawn of a Compose configuration carries along: the tool, the
// project's name and files, and what Compose said of them.

import type { ToolEndpoint } from '../../engine/index.js';
import type { ComposeModel } from './compose-model.js';
import type { ComposeTool } from './compose-tool.js';

export interface ComposeSession {
  tool: ComposeTool;
  projectName: string;
  /** The workspace service. */
  service: string;
  /** The user's Compose files (absolute). */
  files: readonly string[];
  /** pks's override file, in pks's folder. */
  overrideFile: string;
  /** Opened on first use, closed when the spawn ends. */
  endpoint?: ToolEndpoint;
  model?: ComposeModel;
  /** The services `up` starts. */
  services?: string[];
}
