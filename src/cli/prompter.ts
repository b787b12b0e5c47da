// Questions to the user. A prompt is only ever shown when both stdin and stderr
// are terminals; otherwise the question fails with a UsageError that names the
// flag that answers it, so scripts and CI never hang waiting for input.
// Ctrl-C or Ctrl-D at a question is the user's "stop": the command ends with
// exit 130 and no message, as docker and gh do, whatever was asking.

import { createInterface, type Interface } from 'node:readline/promises';
import { Writable, type Readable } from 'node:stream';
import { ExitCode, PksError, UsageError } from '../common/errors.js';
import { escapeControlsKeepingLayout } from '../common/terminal-text.js';

export const PROMPT_INTERRUPTED_CODE = 'E_PROMPT_INTERRUPTED';

/** The answer to a question was Ctrl-C or Ctrl-D: nothing failed, the user stopped. */
export class PromptInterrupted extends PksError {
  constructor() {
    super(PROMPT_INTERRUPTED_CODE, 'Interrupted at a prompt.', ExitCode.Interrupted);
    this.name = 'PromptInterrupted';
  }
}

export interface ConfirmOptions {
  /** The flag that answers "yes" without asking, e.g. "--yes". */
  flag: string;
  defaultAnswer?: boolean;
}

export interface Prompter {
  readonly interactive: boolean;
  confirm(question: string, options: ConfirmOptions): Promise<boolean>;
  /** Asks for one of `choices`; `flag` names the option that selects without asking. */
  select(question: string, choices: readonly string[], flag: string): Promise<number>;
  /** Reads a secret without echoing it (a key passphrase); undefined when not interactive. */
  secret(question: string): Promise<string | undefined>;
}

type TtyReadable = Readable & { isTTY?: boolean };
type TtyWritable = Writable & { isTTY?: boolean };

export class TerminalPrompter implements Prompter {
  readonly interactive: boolean;

  constructor(
    private readonly input: TtyReadable,
    private readonly output: TtyWritable,
  ) {
    this.interactive = input.isTTY === true && output.isTTY === true;
  }

  async confirm(question: string, options: ConfirmOptions): Promise<boolean> {
    if (!this.interactive) {
      throw new UsageError(`${question} — cannot ask without a terminal.`, {
        code: 'E_NEEDS_CONFIRMATION',
        hint: `Pass ${options.flag} to confirm.`,
      });
    }
    const suffix = options.defaultAnswer === true ? '[Y/n]' : '[y/N]';
    const answer = (await this.ask(`${question} ${suffix} `)).trim().toLowerCase();
    if (answer === '') return options.defaultAnswer === true;
    return answer === 'y' || answer === 'yes';
  }

  async select(question: string, choices: readonly string[], flag: string): Promise<number> {
    if (!this.interactive) {
      throw new UsageError(`${question} — cannot ask without a terminal.`, {
        code: 'E_NEEDS_CHOICE',
        hint: `Choose with ${flag}. Candidates:\n${choices.map((c) => `    ${c}`).join('\n')}`,
      });
    }
    // Questions and choices quote container names and labels: escaped like every message.
    const listing = choices.map((choice, i) => `  ${i + 1}) ${choice}`).join('\n');
    for (;;) {
      const answer = await this.ask(`${question}\n${listing}\nNumber: `);
      const index = Number.parseInt(answer.trim(), 10) - 1;
      if (Number.isInteger(index) && index >= 0 && index < choices.length) return index;
      this.output.write(`Please answer with a number from 1 to ${choices.length}.\n`);
    }
  }

  async secret(question: string): Promise<string | undefined> {
    if (!this.interactive) return undefined;
    const output = this.output;
    // The readline interface writes through a muted stream so the typed
    // characters never reach the terminal. It switches the terminal to raw
    // mode (no echo) as it is created: only then is the question shown, or an
    // answer typed the moment it appears would be echoed by the terminal.
    const muted = new Writable({ write: (_chunk, _encoding, callback) => callback() });
    const rl = createInterface({ input: this.input, output: muted, terminal: true });
    output.write(escapeControlsKeepingLayout(question));
    try {
      return await answer(rl, '');
    } finally {
      rl.close();
      output.write('\n');
    }
  }

  private async ask(prompt: string): Promise<string> {
    const rl = createInterface({ input: this.input, output: this.output, terminal: true });
    try {
      return await answer(rl, escapeControlsKeepingLayout(prompt));
    } catch (error) {
      // The cursor is still on the question's line: end it, so that the
      // shell's prompt starts on a line of its own.
      if (error instanceof PromptInterrupted) this.output.write('\n');
      throw error;
    } finally {
      rl.close();
    }
  }
}

/**
 * The line typed. On a terminal, readline ends the question on Ctrl-C (when
 * no one listens for its SIGINT) and on Ctrl-D at an empty line, rejecting
 * with an AbortError ("Aborted with Ctrl+C"): both are the user stopping.
 */
async function answer(rl: Interface, prompt: string): Promise<string> {
  try {
    return await rl.question(prompt);
  } catch (error) {
    if (error instanceof Error && error.name === 'AbortError') throw new PromptInterrupted();
    throw error;
  }
}
