// Commands that are declared (so help, parsing and suggestions are complete)
// but whose behaviour is still being built. They fail honestly with exit 1.

import { OperationError } from '../common/errors.js';

export function notImplemented(command: string): never {
  throw new OperationError('E_NOT_IMPLEMENTED', `pks ${command} is not implemented yet.`, {
    hint: 'Run `pks --help` to see what is available in this version.',
  });
}
