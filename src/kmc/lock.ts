// The keystore's single-writer lock (keys/.kmc.lock): the shared pid lock with the keystore's codes.
import { StreamfrontError } from '../errors/error.js';
import { acquirePidLock, type ReleaseLock } from '../fs/pid-lock.js';

export type { ReleaseLock };

export function acquireLock(lockPath: string): Promise<ReleaseLock> {
  return acquirePidLock(lockPath, {
    locked: (owner) =>
      new StreamfrontError('KMC_KEYSTORE_LOCKED', `the keystore is locked by running process ${owner || '(unknown)'}`, {
        file: lockPath,
        hint: 'wait for the other kmc/import command to finish, then retry',
      }),
    writeFailed: (err) =>
      new StreamfrontError('KMC_KEYSTORE_WRITE_FAILED', `cannot create the keystore lock: ${(err as Error).message}`, {
        file: lockPath,
        hint: 'check that keys/ exists, is 0700 and owned by the service user',
        cause: err,
      }),
  });
}
