// `pks completion bash|zsh|fish`: the shell script that completes pks's
// commands, options, remote ids and container names (see ../completion.ts).

import { Argument, Command } from '@commander-js/extra-typings';
import { COMPLETION_SCRIPTS } from '../completion-scripts.js';
import type { Context } from '../context.js';
import { examples } from './examples.js';

export function completionCommand(ctx: Context) {
  return new Command('completion')
    .description('print the shell completion script for bash, zsh or fish')
    .addArgument(new Argument('<shell>', 'the shell to complete in').choices(['bash', 'zsh', 'fish'] as const))
    .addHelpText(
      'after',
      examples([
        ['source <(pks completion bash)', 'bash, this shell (add the line to ~/.bashrc to keep it)'],
        ['pks completion bash > ~/.local/share/bash-completion/completions/pks', 'bash, every new shell'],
        ['source <(pks completion zsh)', 'zsh, this shell (after compinit; add the line to ~/.zshrc to keep it)'],
        ['pks completion zsh > "${fpath[1]}/_pks"', 'zsh, every new shell'],
        ['pks completion fish | source', 'fish, this shell'],
        ['pks completion fish > ~/.config/fish/completions/pks.fish', 'fish, every new shell'],
      ]) + '\nContainer names come from the local engine, or for a remote host from what `pks devcontainer list` last saw there: completion never connects to a remote host.\n',
    )
    .action((shell) => {
      ctx.stdout.write(COMPLETION_SCRIPTS[shell]);
    });
}
