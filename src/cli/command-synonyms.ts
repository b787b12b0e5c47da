// Words people bring from docker, the Dev Container CLI and ssh, and the pks
// command that does that job. Spelling alone cannot link `up` to `spawn`, so
// an unknown command that is one of these words gets the pks command as its
// suggestion. They stay suggestions, not aliases: the jobs differ in part
// (`up` also uploads the project and opens VS Code), and the user learns the
// pks word once.

import type { CommandUnknownOpts } from '@commander-js/extra-typings';

/** By the group's name: the word typed → the command to suggest. */
const SYNONYMS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  devcontainer: {
    up: 'spawn',
    create: 'spawn',
    ssh: 'shell',
    attach: 'connect',
    open: 'connect',
    ps: 'list',
    remove: 'rm',
    delete: 'rm',
    build: 'rebuild',
  },
  remote: {
    delete: 'remove',
    check: 'test',
  },
};

function synonym(group: string, word: string): string | undefined {
  const table = SYNONYMS[group];
  return table !== undefined && Object.hasOwn(table, word) ? table[word] : undefined;
}

/**
 * What to suggest for the unknown command `word` of `group`: the pks verb for
 * a synonym; at the top level, `devcontainer <verb>` for a devcontainer verb
 * (or synonym) typed without its group. Undefined when there is none.
 */
export function synonymSuggestion(group: CommandUnknownOpts, word: string): string | undefined {
  if (group.parent !== null) return synonym(group.name(), word);
  const devcontainer = group.commands.find((command) => command.name() === 'devcontainer');
  const verb = devcontainer?.commands.find((command) => command.name() === word || command.aliases().includes(word))?.name() ?? synonym('devcontainer', word);
  return verb === undefined ? undefined : `devcontainer ${verb}`;
}

/**
 * An unknown command of `group` that has a suggestion above fails as
 * commander's own unknown command does, with that suggestion; any other is
 * left to commander, which suggests by spelling.
 */
export function suggestSynonyms(group: CommandUnknownOpts): void {
  group.on('command:*', (operands: string[]) => {
    const word = operands[0] ?? '';
    const suggestion = synonymSuggestion(group, word);
    if (suggestion !== undefined) {
      group.error(`error: unknown command '${word}'\n(Did you mean ${suggestion}?)`, { code: 'commander.unknownCommand', exitCode: 2 });
    }
    (group as unknown as { unknownCommand(): never }).unknownCommand();
  });
}
