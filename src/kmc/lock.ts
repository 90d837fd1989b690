// The single-writer lock for the keystore: a file created with O_EXCL holding the owner's pid.
// A lock whose pid is dead (a crashed writer) is stale and taken over, so a kill -9 never wedges us.
import { constants, promises as fsp } from 'node:fs';
import { StreamfrontError } from '../errors/error.js';

export type ReleaseLock = () => Promise<void>;

// A lock file still empty after this long belongs to a writer that died between create and write.
const EMPTY_LOCK_GRACE_MS = 5000;

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function isLockStale(lockPath: string): Promise<boolean> {
  let text: string;
  let mtimeMs: number;
  try {
    text = await fsp.readFile(lockPath, 'utf8');
    mtimeMs = (await fsp.stat(lockPath)).mtimeMs;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
  const pid = Number(text.trim());
  if (text.trim() === '' || !Number.isSafeInteger(pid) || pid <= 0) return Date.now() - mtimeMs > EMPTY_LOCK_GRACE_MS;
  return !isProcessAlive(pid);
}

export async function acquireLock(lockPath: string): Promise<ReleaseLock> {
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      const handle = await fsp.open(lockPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      try {
        await handle.writeFile(`${process.pid}\n`);
      } finally {
        await handle.close();
      }
      return async () => {
        await fsp.rm(lockPath, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new StreamfrontError('KMC_KEYSTORE_WRITE_FAILED', `cannot create the keystore lock: ${(err as Error).message}`, {
          file: lockPath,
          hint: 'check that keys/ exists, is 0700 and owned by the service user',
          cause: err,
        });
      }
      if (!(await isLockStale(lockPath))) break;
      await fsp.rm(lockPath, { force: true });
    }
  }
  const owner = (await fsp.readFile(lockPath, 'utf8').catch(() => '')).trim();
  throw new StreamfrontError('KMC_KEYSTORE_LOCKED', `the keystore is locked by running process ${owner || '(unknown)'}`, {
    file: lockPath,
    hint: 'wait for the other kmc/import command to finish, then retry',
  });
}
