import type { ErrorDef } from '../catalogue.js';

export const cliErrors = {
  CLI_USAGE: {
    summary: 'The command line is not valid: unknown option, missing value or missing required option.',
    exitCode: 2,
  },
} as const satisfies Record<string, ErrorDef>;
