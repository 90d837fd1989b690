// A single-writer lock file holding the owner's pid. A lock whose pid is dead (a writer killed
// mid-way), or that holds no pid at all, is stale and taken over at once: a kill -9 or a full
// disk never wedges the next writer.
// The keystore (keys/.kmc.lock) and the import (keys/.import.lock) each hold their own.
import { promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { writeTempFile } from './atomic-write.js';
import type { StreamfrontError } from '../errors/error.js';

export type ReleaseLock = () => Promise<void>;

export interface PidLockErrors {
  /** The lock is held by a live process; owner is its pid as the file says, or '' when unreadable. */
  readonly locked: (owner: string) => StreamfrontError;
  /** The lock could not be created or written (no space, no permission). */
  readonly writeFailed: (err: unknown) => StreamfrontError;
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A lock file only ever appears whole (see acquirePidLock), so one that is empty or does not
 * hold a pid was left by a crash or damaged: stale at once, not after a grace period.
 */
async function isLockStale(lockPath: string): Promise<boolean> {
  let text: string;
  try {
    text = await fsp.readFile(lockPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
  const pid = Number(text.trim());
  if (!/^[1-9][0-9]*$/.test(text.trim()) || !Number.isSafeInteger(pid)) return true;
  return !isProcessAlive(pid);
}

/** True when a live process holds the lock (a stale or absent lock reads as free). */
export async function isLockHeld(lockPath: string): Promise<boolean> {
  return !(await isLockStale(lockPath));
}

function lockTempPrefix(lockPath: string): string {
  return `.${basename(lockPath)}.`;
}

/** Temp files of writers killed between writing their pid and linking it: removed once their pid is dead. */
async function removeDeadLockTemps(lockPath: string): Promise<void> {
  const dir = dirname(lockPath);
  const prefix = lockTempPrefix(lockPath);
  const names = await fsp.readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const path = join(dir, name);
    if (await isLockStale(path)) await fsp.rm(path, { force: true });
  }
}

/**
 * Takes the lock or throws errors.locked. The pid is written to a temp file first and the lock
 * appears by link(), which is atomic and refuses an existing name: no other process ever sees
 * an empty lock, and a write that fails (disk full) leaves no lock behind, only a temp it removes.
 */
export async function acquirePidLock(lockPath: string, errors: PidLockErrors): Promise<ReleaseLock> {
  let temp: string;
  try {
    temp = await writeTempFile(lockPath, `${process.pid}\n`, { mode: 0o600 });
  } catch (err) {
    throw errors.writeFailed(err);
  }
  try {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      try {
        await fsp.link(temp, lockPath);
        await removeDeadLockTemps(lockPath);
        return async () => {
          await fsp.rm(lockPath, { force: true });
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw errors.writeFailed(err);
        if (!(await isLockStale(lockPath))) break;
        await fsp.rm(lockPath, { force: true });
      }
    }
  } finally {
    await fsp.rm(temp, { force: true });
  }
  const owner = (await fsp.readFile(lockPath, 'utf8').catch(() => '')).trim();
  throw errors.locked(/^[1-9][0-9]*$/.test(owner) ? owner : '');
}
