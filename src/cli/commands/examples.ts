// The "Examples:" section appended to a command's help.

export function examples(items: ReadonlyArray<readonly [command: string, what: string]>): string {
  const lines = items.map(([command, what]) => `  $ ${command}\n      ${what}`);
  return `\nExamples:\n${lines.join('\n')}\n`;
}
