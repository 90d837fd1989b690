// Finds the optional operator secret: the file named by STREAMFRONT_KMC_SECRET_FILE, else the
// systemd credential streamfront-kmc-secret (LoadCredentialEncrypted= can bind it to a TPM).
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { StreamfrontError } from '../errors/error.js';
import { rethrowIfTransient } from '../fs/transient-read.js';

export const SECRET_FILE_ENV = 'STREAMFRONT_KMC_SECRET_FILE';
export const CREDENTIAL_NAME = 'streamfront-kmc-secret';

async function readSecret(file: string, source: string): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await fsp.readFile(file);
  } catch (err) {
    rethrowIfTransient(file, 'operator secret file', err);
    throw new StreamfrontError(
      'KMC_OPERATOR_SECRET_UNREADABLE',
      `cannot read the operator secret named by ${source}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      {
        file,
        hint: `point ${source} at a readable file holding the secret`,
        cause: err,
      },
    );
  }
  // A trailing newline from `echo` or an editor is not part of the secret.
  const trimmed = bytes.subarray(0, bytes.length - (bytes.at(-1) === 0x0a ? (bytes.at(-2) === 0x0d ? 2 : 1) : 0));
  if (trimmed.length === 0) {
    throw new StreamfrontError('KMC_OPERATOR_SECRET_UNREADABLE', `the operator secret named by ${source} is empty`, {
      file,
      hint: 'write a long random secret into the file',
    });
  }
  return trimmed;
}

export async function loadOperatorSecret(env: NodeJS.ProcessEnv): Promise<Buffer | undefined> {
  const explicit = env[SECRET_FILE_ENV];
  if (explicit !== undefined && explicit !== '') return readSecret(explicit, SECRET_FILE_ENV);
  const credDir = env.CREDENTIALS_DIRECTORY;
  if (credDir === undefined || credDir === '') return undefined;
  const file = join(credDir, CREDENTIAL_NAME);
  try {
    await fsp.access(file);
  } catch {
    return undefined;
  }
  return readSecret(file, `$CREDENTIALS_DIRECTORY/${CREDENTIAL_NAME}`);
}
