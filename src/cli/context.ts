// Everything a command needs from the outside world, in one object: streams,
// environment, the reporter, the prompter and the engines. Commands receive it
// as a parameter and never touch `process` directly, so tests run them
// in-process against in-memory streams and real or fake engines.

import type { Readable, Writable } from 'node:stream';
import { TerminalPrompter, type Prompter } from './prompter.js';
import { Reporter, colourWanted, type LogFormat } from './reporter.js';

export type TtyReadable = Readable & { isTTY?: boolean };
export type TtyWritable = Writable & { isTTY?: boolean; columns?: number };

export interface CliIo {
  stdin: TtyReadable;
  stdout: TtyWritable;
  stderr: TtyWritable;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Subscribes to Ctrl-C / SIGTERM; returns the unsubscribe function. Absent in tests. */
  onInterrupt?: ((handler: () => void) => () => void) | undefined;
}

/** Closable things a command opened (engine clients, SSH connections). */
export interface Disposable {
  close(): Promise<void>;
}

export interface Context extends CliIo {
  reporter: Reporter;
  prompter: Prompter;
  /** Registers something to close when the command ends, whatever the outcome. */
  defer(resource: Disposable): void;
  /** Aborted on the first Ctrl-C (the second one ends the process at once). */
  interruptSignal(): AbortSignal;
}

export interface GlobalOptions {
  verbose: boolean;
  logFormat: LogFormat;
  /** --no-persist: no warm SSH connection (as PKS_NO_PERSIST=1). */
  noPersist?: boolean;
}

export interface ContextOverrides {
  prompter?: Prompter;
}

export class CommandContext implements Context {
  readonly stdin: TtyReadable;
  readonly stdout: TtyWritable;
  readonly stderr: TtyWritable;
  env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly onInterrupt: CliIo['onInterrupt'];
  reporter: Reporter;
  prompter: Prompter;
  private readonly resources: Disposable[] = [];

  constructor(io: CliIo, overrides: ContextOverrides = {}) {
    this.stdin = io.stdin;
    this.stdout = io.stdout;
    this.stderr = io.stderr;
    this.env = io.env;
    this.cwd = io.cwd;
    this.onInterrupt = io.onInterrupt;
    this.reporter = new Reporter({ stdout: io.stdout, stderr: io.stderr, colour: colourWanted(io.env, io.stderr) });
    this.prompter = overrides.prompter ?? new TerminalPrompter(io.stdin, io.stderr);
  }

  /** Applies the global options once the command line is parsed. */
  configure(options: GlobalOptions): void {
    // Everything below reads the one switch, whichever way it was given.
    if (options.noPersist === true) this.env = { ...this.env, PKS_NO_PERSIST: '1' };
    this.reporter = new Reporter({
      stdout: this.stdout,
      stderr: this.stderr,
      verbose: options.verbose,
      logFormat: options.logFormat,
      colour: colourWanted(this.env, this.stderr),
    });
  }

  defer(resource: Disposable): void {
    this.resources.push(resource);
  }

  interruptSignal(): AbortSignal {
    const controller = new AbortController();
    const unsubscribe = this.onInterrupt?.(() => {
      if (controller.signal.aborted) return;
      this.reporter.warn('Interrupted: cleaning up (press Ctrl-C again to quit at once).');
      controller.abort();
    });
    if (unsubscribe !== undefined) this.defer({ close: async () => unsubscribe() });
    return controller.signal;
  }

  /** Closes everything registered with defer(), newest first; never throws. */
  async dispose(): Promise<void> {
    while (this.resources.length > 0) {
      const resource = this.resources.pop();
      try {
        await resource?.close();
      } catch (error) {
        this.reporter.debug(`while closing: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
}
