import type { ErrorDef } from '../catalogue.js';

// Errors of reading operator-supplied material files and of the loader that turns the
// config's items into validated TLS material.
export const materialErrors = {
  MATERIAL_FILE_MISSING: {
    summary: 'A material file named on the command line or in the config does not exist.',
    exitCode: 1,
  },
  MATERIAL_FILE_UNREADABLE: { summary: 'A material file could not be read.', exitCode: 1 },
  MATERIAL_FILE_NOT_REGULAR: {
    summary: 'A material file is not a regular file (a folder, a device, a pipe...).',
    exitCode: 1,
  },
  MATERIAL_FILE_NOT_OWNED: {
    summary: 'A material file is owned neither by the user running streamfront nor by root.',
    exitCode: 1,
  },
  MATERIAL_FILE_WRITABLE_BY_OTHERS: {
    summary: 'A root-owned material file can be changed by its group or by others.',
    exitCode: 1,
  },
  MATERIAL_KEY_MODE_TOO_OPEN: {
    summary:
      'The private key file grants more than 0640 (our own file) or more than 0440 to our group (a root-owned file).',
    exitCode: 1,
  },
  MATERIAL_FILE_TOO_LARGE: {
    summary: 'A material file is larger than any certificate, key or CRL streamfront accepts.',
    exitCode: 1,
  },
  MATERIAL_INVALID: { summary: 'The material failed a validation rule (the message names the rule).', exitCode: 1 },
  MATERIAL_READ_TRANSIENT: {
    summary:
      'A config, material or keystore file could not be read for a passing reason (out of file descriptors or memory, a busy or flaky mount); retried, never final on reload.',
    exitCode: 1,
  },
  MATERIAL_NOT_IMPORTED: { summary: 'The config names no imported material yet.', exitCode: 1 },
} as const satisfies Record<string, ErrorDef>;
