// The command tree and the one function that runs it. `runCli` never calls
// process.exit: it returns the exit code, so tests drive the whole CLI
// in-process with in-memory streams.

import { Command, CommanderError, Help, Option, type CommandUnknownOpts } from '@commander-js/extra-typings';
import packageJson from '../../package.json' with { type: 'json' };
import { ExitCode } from '../common/errors.js';
import { escapeControlsKeepingLayout } from '../common/terminal-text.js';
import { suggestSynonyms } from './command-synonyms.js';
import { devcontainerCommand } from './commands/devcontainer.js';
import { completionCommand } from './commands/completion.js';
import { doctorCommand } from './commands/doctor.js';
import { examples } from './commands/examples.js';
import { remoteCommand } from './commands/remote.js';
import { applyDefaults } from './defaults.js';
import { CommandContext, type CliIo, type ContextOverrides } from './context.js';
import { errorOutcome } from './present.js';
import { reportError } from './render-error.js';

export const VERSION: string = packageJson.version;

/** The hidden first argument the completion scripts call pks with (see completion.ts). */
const COMPLETE_COMMAND = '__complete';

/** --log-format json anywhere before a `--`: known before commander parses (its own errors must follow it). */
function wantsJsonLogs(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  const args = end < 0 ? argv : argv.slice(0, end);
  return args.some((arg, i) => arg === '--log-format=json' || (arg === '--log-format' && args[i + 1] === 'json'));
}

/** Longest argument quoted back in a command-line error: a 100,000-character value is not shown whole. */
const QUOTED_ARGUMENT_MAX = 60;

/** Commander quotes the offending value (`argument 'xyz' is invalid`): cut a long one. */
function clipQuotedArguments(text: string): string {
  return text.replace(/argument '([^']*)'/g, (whole, value: string) =>
    value.length <= QUOTED_ARGUMENT_MAX ? whole : `argument '${value.slice(0, QUOTED_ARGUMENT_MAX)}…' (${value.length} characters)`,
  );
}

/** Commander's own error output ("error: unknown command 'spwn'\n(Did you mean spawn?)") as one log record. */
function usageRecord(text: string): { message: string; hint: string } {
  const lines = clipQuotedArguments(text).trim().replace(/^error: /, '').split('\n');
  return { message: lines.join(' '), hint: 'run with --help for usage' };
}

function verboseOption() {
  return new Option('-v, --verbose', 'show details (and stack traces of internal errors)');
}

function persistOption() {
  return new Option('--no-persist', 'open one SSH connection per command instead of keeping a warm one (same as PKS_NO_PERSIST=1)');
}

/** No default below the program: a command's own value, when given, wins over the program's. */
function logFormatOption() {
  return new Option('--log-format <format>', 'format of messages on stderr').choices(['text', 'json'] as const);
}

/**
 * --verbose and --log-format wherever they were given, the one nearest the
 * command winning (commander's optsWithGlobals lets the program's default win).
 */
function globalOptions(action: CommandUnknownOpts): { verbose?: boolean; logFormat?: 'text' | 'json'; noPersist?: boolean } {
  const chain: CommandUnknownOpts[] = [];
  for (let command: CommandUnknownOpts | null = action; command !== null; command = command.parent) chain.unshift(command);
  const merged: { verbose?: boolean; logFormat?: 'text' | 'json'; noPersist?: boolean } = {};
  for (const command of chain) {
    const opts = command.opts() as { verbose?: boolean; logFormat?: 'text' | 'json'; persist?: boolean };
    if (opts.verbose !== undefined) merged.verbose = opts.verbose;
    if (opts.persist === false) merged.noPersist = true;
    const given = command.getOptionValueSource('logFormat') !== 'default';
    if (opts.logFormat !== undefined && (given || merged.logFormat === undefined)) merged.logFormat = opts.logFormat;
  }
  return merged;
}

/** A command's line in its group's help says `[options]` only for options the help shows (not the hidden global ones). */
const HELP = {
  subcommandTerm(command: CommandUnknownOpts): string {
    const term = new Help().subcommandTerm(command);
    return command.options.some((option) => !option.hidden) ? term : term.replace(' [options]', '');
  },
};

export function buildProgram(ctx: CommandContext) {
  const jsonLogs = ctx.reporter.logFormat === 'json';
  const output = {
    writeOut: (text: string) => ctx.stdout.write(text),
    // Commander quotes the command line back ("unknown command '…'"): escaped like any other message.
    writeErr: (text: string) => ctx.stderr.write(escapeControlsKeepingLayout(text)),
    outputError: jsonLogs
      ? (text: string) => ctx.reporter.log({ level: 'error', code: 'E_USAGE', ...usageRecord(text) })
      : (text: string, write: (text: string) => void) => write(clipQuotedArguments(text)),
  };
  const helpAfterError = jsonLogs ? false : '(run with --help for usage)';
  const program = new Command('pks')
    .description('Spawn dev containers (devcontainer.json) on the local Docker engine or on remote hosts over SSH, and manage them for their whole life.')
    .version(VERSION, '-V, --version', 'print the pks version')
    .addOption(verboseOption())
    .addOption(logFormatOption().default('text' as const))
    .addOption(persistOption())
    .addHelpText(
      'after',
      examples([
        ['pks devcontainer spawn', 'spawn the current folder\'s dev container locally'],
        ['pks remote add hetzner --host 203.0.113.7 --user dev', 'register a remote host'],
        ['pks devcontainer spawn --remote hetzner', 'spawn it on that host'],
        ['pks devcontainer connect my-project --remote hetzner', 'come back to it the next day'],
      ]) + '\nExit codes: 0 success, 1 the operation failed, 2 the command line was wrong, 130 interrupted (Ctrl-C, or Ctrl-D at a prompt).\n',
    )
    .showSuggestionAfterError(true)
    .showHelpAfterError(helpAfterError)
    .configureOutput(output)
    .configureHelp(HELP)
    .exitOverride()
    // Each command parses the options after its own name, so that `exec` can
    // hand everything after the container to the command it runs (`ls -la`, `-v`).
    .enablePositionalOptions()
    .hook('preAction', (_command, action) => {
      const globals = globalOptions(action);
      ctx.configure({ verbose: globals.verbose === true, logFormat: globals.logFormat ?? 'text', noPersist: globals.noPersist === true });
    });

  suggestSynonyms(program);
  program.addCommand(devcontainerCommand(ctx));
  program.addCommand(remoteCommand(ctx));
  program.addCommand(doctorCommand(ctx));
  program.addCommand(completionCommand(ctx));
  applyToTree(program, (command) => {
    // --verbose and --log-format are still accepted after a command's name
    // (`pks devcontainer list --verbose`), listed once in `pks --help`.
    command.addOption(verboseOption().hideHelp());
    command.addOption(logFormatOption().hideHelp());
    command.addOption(persistOption().hideHelp());
    if (command.commands.length > 0) {
      command.enablePositionalOptions().configureHelp(HELP);
      suggestSynonyms(command);
    }
    command.exitOverride();
    command.showSuggestionAfterError(true);
    command.showHelpAfterError(helpAfterError);
    command.configureOutput(output);
  });
  return program;
}

function applyToTree(command: CommandUnknownOpts, apply: (command: CommandUnknownOpts) => void): void {
  for (const child of command.commands) {
    apply(child);
    applyToTree(child, apply);
  }
}

/** Maps commander's own outcomes (help shown, bad option, ...) to pks exit codes. */
function commanderExitCode(error: CommanderError): ExitCode {
  switch (error.code) {
    case 'commander.helpDisplayed':
    case 'commander.version':
      return ExitCode.Ok;
    default:
      // Unknown command/option, missing or invalid argument, and a command
      // group run without a subcommand: all mistakes in the command line.
      return ExitCode.Usage;
  }
}

export async function runCli(argv: readonly string[], io: CliIo, overrides: ContextOverrides = {}): Promise<ExitCode> {
  const ctx = new CommandContext(io, overrides);
  if (wantsJsonLogs(argv)) ctx.configure({ verbose: false, logFormat: 'json' });
  const program = buildProgram(ctx);
  // Asked by the completion scripts on every Tab: the words are what the
  // user typed, not a command line for commander to judge.
  if (argv[0] === COMPLETE_COMMAND) {
    try {
      await (await import('./completion.js')).runComplete(ctx, program, argv.slice(1));
    } finally {
      await ctx.dispose();
    }
    return ExitCode.Ok;
  }
  // The --format of the command that runs, once commander has parsed it.
  let format: unknown;
  program.hook('preAction', async (_command, action) => {
    format = (action.opts() as { format?: unknown }).format;
    if (action.name() !== 'completion') await applyDefaults(ctx.env, action);
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return ExitCode.Ok;
  } catch (error) {
    if (error instanceof CommanderError) return commanderExitCode(error);
    // Scripts get one JSON document on stdout whatever fails; data already
    // printed (a partial list, the steps of a failed remote test) is that document.
    if (format === 'json' && !ctx.reporter.wroteData) ctx.reporter.json(errorOutcome(error));
    return reportError(ctx.reporter, error);
  } finally {
    await ctx.dispose();
  }
}
