// Asking which devcontainer.json to use when a project has several and none
// was named: on a terminal the user picks, the default (when there is one)
// listed first; without a terminal nothing is asked, so the default is taken
// or, without one, the command stops and lists the --config choices.

import path from 'node:path';
import type { ConfigChooser } from '../devcontainer/index.js';
import type { Context } from './context.js';

export function configChooser(ctx: Context): ConfigChooser {
  return async (candidates, defaultFile) => {
    if (!ctx.prompter.interactive) return undefined;
    const ordered = defaultFile === undefined ? [...candidates] : [defaultFile, ...candidates.filter((c) => c !== defaultFile)];
    const shown = ordered.map((file) => {
      const relative = path.relative(ctx.cwd, file) || file;
      return file === defaultFile ? `${relative} (default)` : relative;
    });
    const index = await ctx.prompter.select('This project has several dev container configurations. Which one?', shown, '--config <file>');
    return ordered[index];
  };
}
