import type { ErrorDef } from '../catalogue.js';

// Errors of the import stage (certImport.sh): password entry, keys/ folder, staging and commit.
export const importErrors = {
  IMPORT_PASSWORD_EMPTY: { summary: 'The key password is empty.', exitCode: 1 },
  IMPORT_PASSWORD_TOO_LONG: {
    summary: 'The key password is longer than 100 characters, the limit of server_key_mm.',
    exitCode: 1,
  },
  IMPORT_PASSWORD_NO_TTY: {
    summary: 'No password source: stdin is not a terminal and neither --password-stdin nor --password-file was given.',
    exitCode: 1,
  },
  IMPORT_PASSWORD_FILE_UNSAFE: {
    summary: 'The password file is not a regular file owned by the user with no group or other permission bits.',
    exitCode: 1,
  },
  IMPORT_PASSWORD_ABORTED: { summary: 'Password entry was interrupted.', exitCode: 1 },
  IMPORT_KEYS_DIR_UNSAFE: {
    summary: 'keys/ exists but is not a folder with mode 0700 owned by the user.',
    exitCode: 1,
  },
  IMPORT_KEYS_DIR_OCCUPIED: {
    summary: 'keys/ already holds imported material; it must be backed up and removed first.',
    exitCode: 1,
  },
  IMPORT_CONFIG_MISSING: { summary: 'The config file to record the import in does not exist.', exitCode: 1 },
  IMPORT_IN_PROGRESS: { summary: 'Another import holds the import lock of keys/ (a live process).', exitCode: 1 },
  IMPORT_INTERRUPTED: {
    summary: 'An import was killed half-way; the next import or start of the front rolls it back or forward.',
    exitCode: 1,
  },
  IMPORT_COMMIT_FAILED: { summary: 'Writing the imported material failed; everything was rolled back.', exitCode: 1 },
  IMPORT_NO_SPACE: {
    summary: 'The disk (or quota) filled up while the import wrote; everything was rolled back.',
    exitCode: 1,
  },
} as const satisfies Record<string, ErrorDef>;
