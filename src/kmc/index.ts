// The KMC component's public surface: the keystore, its paths and the operator secret lookup.
// Other parts import from here only, so the file format and crypto stay private to src/kmc.
export { Keystore, MASTER_KEY_LIFETIME_DAYS } from './keystore.js';
export type {
  KeystoreAnchor,
  KeystoreOptions,
  KeystoreStatus,
  MasterKeyInfo,
  CopyReport,
  CopyState,
  SaveOptions,
} from './keystore.js';
export type { WriteStep, WriteStepHook } from './files.js';
export { keystorePathsIn } from './paths.js';
export type { KeystorePaths } from './paths.js';
export { loadOperatorSecret, SECRET_FILE_ENV, CREDENTIAL_NAME } from './operator-secret.js';
export { hasCiphertextPrefix, inspectCiphertext, MAX_CIPHERTEXT_LENGTH } from './ciphertext.js';
export type { MasterKeyState } from './format.js';
