// A single-writer lock file: created with O_EXCL, holding the owner's pid. A lock whose pid is
// dead (a writer killed mid-way) is stale and taken over, so a kill -9 never wedges the next one.
// The keystore (keys/.kmc.lock) and the import (keys/.import.lock) each hold their own.
import { constants, promises as fsp } from 'node:fs';
import type { StreamfrontError } from '../errors/error.js';

export type ReleaseLock = () => Promise<void>;

export interface PidLockErrors {
  /** The lock is held by a live process; owner is its pid as the file says, or '' when unreadable. */
  readonly locked: (owner: string) => StreamfrontError;
  /** The lock could not be created or written (no space, no permission). */
  readonly writeFailed: (err: unknown) => StreamfrontError;
}

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

/** True when a live process holds the lock (a stale or absent lock reads as free). */
export async function isLockHeld(lockPath: string): Promise<boolean> {
  return !(await isLockStale(lockPath));
}

export async function acquirePidLock(lockPath: string, errors: PidLockErrors): Promise<ReleaseLock> {
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
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw errors.writeFailed(err);
      if (!(await isLockStale(lockPath))) break;
      await fsp.rm(lockPath, { force: true });
    }
  }
  const owner = (await fsp.readFile(lockPath, 'utf8').catch(() => '')).trim();
  throw errors.locked(owner);
}
