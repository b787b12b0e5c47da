// `--timeout <seconds>` of the remote commands that connect.

import { Option } from '@commander-js/extra-typings';
import { parsePositiveInt } from '../../options.js';

export function timeoutOption(defaultSeconds = 10) {
  return new Option('--timeout <seconds>', `SSH connect timeout in seconds (default: ${defaultSeconds})`).argParser(parsePositiveInt);
}
