// `pks devcontainer exec` exits with the exit code of the command it ran.
// runCli turns a PksError into its exit code, so a non-zero code travels as
// one; the message names the command and is shown on stderr like any error.

import { PksError, type ExitCode } from '../common/errors.js';

export const COMMAND_EXIT_CODE = 'E_COMMAND_EXIT';

export class CommandExitStatus extends PksError {
  constructor(readonly status: number, command: readonly string[]) {
    const shown = command.join(' ');
    // Exit codes are 0-255 at the process level; the engine reports the same range.
    super(COMMAND_EXIT_CODE, `${shown.length > 60 ? `${shown.slice(0, 57)}...` : shown} exited with code ${status}`, (status & 0xff) as ExitCode);
    this.name = 'CommandExitStatus';
  }
}
