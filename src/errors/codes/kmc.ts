// Error codes of the KMC keystore (src/kmc) and its command (src/cli/kmc.ts).
// Each condition an operator must act on differently gets its own code, so "wrong secret" never reads as "corrupt".
import type { ErrorDef } from '../catalogue.js';

export const kmcErrors = {
  KMC_KEYSTORE_MISSING: { summary: 'Neither the primary nor the standby keystore file exists.', exitCode: 1 },
  KMC_KEYSTORE_EXISTS: { summary: 'A keystore already exists where a new one was to be created.', exitCode: 1 },
  KMC_KEYSTORE_DAMAGED: {
    summary:
      'Both keystore copies fail validation (format, version, HMAC or a master key that does not unwrap), or one cannot be read at all.',
    exitCode: 1,
  },
  KMC_KEYSTORE_LOCKED: { summary: 'Another live process holds the keystore lock.', exitCode: 1 },
  KMC_KEYSTORE_CHANGED: {
    summary: 'The keystore on disk is newer than the copy in memory; saving would lose that change.',
    exitCode: 1,
  },
  KMC_KEYSTORE_VERIFY_FAILED: {
    summary: 'A keystore file read back after writing does not match what was written.',
    exitCode: 1,
  },
  KMC_KEYSTORE_WRITE_FAILED: { summary: 'The keystore could not be written.', exitCode: 1 },
  KMC_OPERATOR_SECRET_MISSING: {
    summary: 'The keystore was created with an operator secret and none was supplied.',
    exitCode: 1,
  },
  KMC_OPERATOR_SECRET_WRONG: {
    summary: 'The operator secret supplied is not the one the keystore was created with.',
    exitCode: 1,
  },
  KMC_OPERATOR_SECRET_UNREADABLE: { summary: 'The operator secret file cannot be read or is empty.', exitCode: 1 },
  KMC_CIPHERTEXT_NOT_PREFIXED: {
    summary:
      'A value where a KMC ciphertext is expected does not carry the KMC prefix; it is never used as plain text.',
    exitCode: 1,
  },
  KMC_CIPHERTEXT_MALFORMED: { summary: 'A KMC ciphertext does not have the expected fields.', exitCode: 1 },
  KMC_CIPHERTEXT_UNSUPPORTED: {
    summary: 'A KMC ciphertext names a format version, domain or algorithm this build does not know.',
    exitCode: 1,
  },
  KMC_CIPHERTEXT_TAMPERED: {
    summary: 'A KMC ciphertext fails authentication: altered, truncated, or bound to another item.',
    exitCode: 1,
  },
  KMC_KEY_UNKNOWN: { summary: 'A KMC ciphertext names a master key the keystore does not hold.', exitCode: 1 },
  KMC_KEY_RETIRED: { summary: 'A KMC ciphertext names a master key that has been retired.', exitCode: 1 },
  KMC_PLAINTEXT_TOO_LONG: {
    summary: 'The value to protect would give a ciphertext longer than the config reader accepts (400 characters).',
    exitCode: 1,
  },
  KMC_CONFIG_NO_CIPHERTEXT: {
    summary: 'The config item that should hold a KMC ciphertext is missing or empty.',
    exitCode: 1,
  },
  KMC_ITEM_INVALID: {
    summary: 'The config item name a ciphertext is bound to is empty or not printable.',
    exitCode: 1,
  },
} as const satisfies Record<string, ErrorDef>;
