// Error codes of streamserver.conf handling: lookup, parsing, typed items and writing.
// Each message names the file and item (with its lines); the hint says how to fix the file.
import type { ErrorDef } from '../catalogue.js';

export const configErrors = {
  CONFIG_UNREADABLE: {
    summary: 'The config file cannot be read (missing, not a regular file, or no permission).',
    exitCode: 1,
  },
  CONFIG_DUPLICATE_ITEM: {
    summary: 'An item the front uses appears on more than one line of the config file.',
    exitCode: 1,
  },
  CONFIG_BAD_VALUE: { summary: 'An item of the config file has a value outside what the front accepts.', exitCode: 1 },
  CONFIG_TOO_LARGE: {
    summary: 'The config file would have a line or a line count the native StreamServer reader cannot take.',
    exitCode: 1,
  },
  CONFIG_UNKNOWN_ITEM: {
    summary:
      'The config file sets an item that is neither a front item nor an engine item, often a typo (warning; listed by --check --json).',
    exitCode: 1,
  },
  CONFIG_BAD_UPDATE: {
    summary: 'A config edit was asked with an item name or value that cannot be written as one key=value line.',
    exitCode: 1,
  },
} as const satisfies Record<string, ErrorDef>;
