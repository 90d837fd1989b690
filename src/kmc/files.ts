// Keystore file I/O: read a copy as text, and write both copies in the crash-safe order
// (temp O_EXCL 0600 + fsync, rename, fsync folder; primary first, then standby).
import { promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fsyncDirectory, writeTempFile } from '../fs/atomic-write.js';
import type { KeystorePaths } from './paths.js';

export const KEYSTORE_MODE = 0o600;

export type WriteStep = 'locked' | 'primary-temp' | 'primary-renamed' | 'standby-temp' | 'standby-renamed';

/**
 * Called after each step of a save. The crash tests pass one that stops the writer at a step so
 * they can kill it exactly there; every other caller gets the no-op.
 */
export type WriteStepHook = (step: WriteStep) => Promise<void> | void;

export const noWriteStep: WriteStepHook = () => undefined;

/** The file's text, or undefined when it does not exist. Other errors propagate. */
export async function readCopy(file: string): Promise<string | undefined> {
  try {
    return await fsp.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export async function writeCopy(
  file: string,
  text: string,
  stepPrefix: 'primary' | 'standby',
  reachStep: WriteStepHook = noWriteStep,
): Promise<void> {
  const temp = await writeTempFile(file, text, { mode: KEYSTORE_MODE });
  await reachStep(`${stepPrefix}-temp`);
  try {
    await fsp.rename(temp, file);
  } catch (err) {
    await fsp.rm(temp, { force: true });
    throw err;
  }
  await fsyncDirectory(dirname(file));
  await reachStep(`${stepPrefix}-renamed`);
}

/** Temp files left by a writer killed mid-write; removed under the lock. */
export async function removeStaleTemps(paths: KeystorePaths): Promise<void> {
  for (const file of [paths.primary, paths.standby]) {
    const dir = dirname(file);
    const prefix = `.${basename(file)}.`;
    const names = await fsp.readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      if (name.startsWith(prefix) && name.endsWith('.tmp')) await fsp.rm(join(dir, name), { force: true });
    }
  }
}
