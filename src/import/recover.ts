// Finishes an import that was killed half-way, under the import lock: forward when the config
// already holds the new bytes (the commit point), else back to exactly the old state; then
// removes the staging folders and temp files a crash left. An import still running holds the
// lock, so nothing of it is touched.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { StreamfrontError, isStreamfrontError } from '../errors/error.js';
import { fsyncDirectory } from '../fs/atomic-write.js';
import { isLockHeld } from '../fs/pid-lock.js';
import { keystorePathsIn } from '../kmc/index.js';
import {
  IMPORT_LOCK_NAME,
  STAGING_PREFIX,
  acquireImportLock,
  journalPath,
  readJournal,
  removeJournal,
  sha256Text,
  type ImportJournal,
} from './journal.js';

export type RecoveryOutcome =
  | { readonly action: 'none' }
  | { readonly action: 'busy' }
  | { readonly action: 'rolled-back' | 'rolled-forward' | 'cleaned'; readonly removed: readonly string[] };

/** What an interrupted import left, seen without changing anything (for ./run.sh --check). */
export type InterruptedImport =
  | { readonly state: 'none' }
  | { readonly state: 'running' }
  | { readonly state: 'interrupted'; readonly direction: 'back' | 'forward' };

async function listLeftovers(keysDir: string): Promise<{ hasJournal: boolean; staging: string[] } | undefined> {
  let names: string[];
  try {
    names = await fsp.readdir(keysDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return { hasJournal: names.includes('.import-journal'), staging: names.filter((n) => n.startsWith(STAGING_PREFIX)) };
}

async function isCommitted(journal: ImportJournal): Promise<boolean> {
  try {
    return sha256Text(await fsp.readFile(journal.configTarget)) === journal.newConfigSha256;
  } catch {
    return false;
  }
}

async function isSameFile(a: string, b: string): Promise<boolean> {
  try {
    const [sa, sb] = await Promise.all([fsp.lstat(a), fsp.lstat(b)]);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false;
  }
}

/** Undoes exactly what the journal says the import did: only links that are still the staged inode go. */
async function rollBack(keysDir: string, journal: ImportJournal, removed: string[]): Promise<void> {
  const staging = join(keysDir, journal.stagingName);
  for (const name of journal.files) {
    const target = join(keysDir, name);
    if (await isSameFile(target, join(staging, name))) {
      await fsp.unlink(target);
      removed.push(target);
    }
  }
  if (journal.isKeystoreCreated) {
    // Nothing references a keystore the interrupted import created: the config was never renamed.
    const paths = keystorePathsIn(keysDir);
    for (const file of [paths.primary, paths.standby]) {
      if (
        await fsp.rm(file).then(
          () => true,
          () => false,
        )
      )
        removed.push(file);
    }
  }
}

async function recoverUnderLock(keysDir: string, staging: readonly string[]): Promise<RecoveryOutcome> {
  const removed: string[] = [];
  const journal = await readJournal(keysDir);
  let action: 'rolled-back' | 'rolled-forward' | 'cleaned' = 'cleaned';
  if (journal !== undefined) {
    const isForward = await isCommitted(journal);
    if (!isForward) await rollBack(keysDir, journal, removed);
    action = isForward ? 'rolled-forward' : 'rolled-back';
    if (
      await fsp.rm(journal.configTemp).then(
        () => true,
        () => false,
      )
    )
      removed.push(journal.configTemp);
  }
  // Under the lock no import runs, so every staging folder is a dead import's (each holds a key copy).
  for (const name of staging) {
    await fsp.rm(join(keysDir, name), { recursive: true, force: true });
    removed.push(join(keysDir, name));
  }
  if (journal !== undefined) await removeJournal(keysDir);
  else await fsyncDirectory(keysDir);
  return { action, removed };
}

/**
 * Called by every import before its checks and by the front at start. Cheap when nothing was
 * left (one readdir). 'busy': a live import holds the lock; its files are left alone.
 */
export async function recoverInterruptedImport(keysDir: string): Promise<RecoveryOutcome> {
  const leftovers = await listLeftovers(keysDir);
  if (leftovers === undefined || (!leftovers.hasJournal && leftovers.staging.length === 0)) return { action: 'none' };
  let release;
  try {
    release = await acquireImportLock(keysDir);
  } catch (err) {
    if (isStreamfrontError(err) && err.code === 'IMPORT_IN_PROGRESS') return { action: 'busy' };
    throw err;
  }
  let outcome: RecoveryOutcome;
  let journal: ImportJournal | undefined;
  try {
    journal = await readJournal(keysDir);
    // Listed again under the lock: a folder made by an import that finished meanwhile is gone.
    const now = await listLeftovers(keysDir);
    outcome = await recoverUnderLock(keysDir, now?.staging ?? []);
  } finally {
    await release();
  }
  if (outcome.action === 'rolled-back' && journal?.isKeysDirCreated === true) {
    await fsp.rmdir(keysDir).catch(() => undefined); // only when empty: anything else there stays
  }
  return outcome;
}

/** Read-only look for ./run.sh --check: what the next start or import would find. */
export async function inspectInterruptedImport(keysDir: string): Promise<InterruptedImport> {
  const leftovers = await listLeftovers(keysDir);
  if (leftovers === undefined || !leftovers.hasJournal) return { state: 'none' };
  if (await isLockHeld(join(keysDir, IMPORT_LOCK_NAME))) return { state: 'running' };
  const journal = await readJournal(keysDir);
  if (journal === undefined) return { state: 'none' };
  return { state: 'interrupted', direction: (await isCommitted(journal)) ? 'forward' : 'back' };
}

/** The refusal ./run.sh --check gives for a half-done import, instead of what its mixed files would say. */
export function interruptedImportError(
  keysDir: string,
  found: Exclude<InterruptedImport, { state: 'none' }>,
): StreamfrontError {
  if (found.state === 'running') {
    return new StreamfrontError(
      'IMPORT_IN_PROGRESS',
      'an import is running in this keys/ folder; its files are not complete yet',
      {
        file: join(keysDir, IMPORT_LOCK_NAME),
        hint: 'wait for certImport.sh to finish, then check again',
      },
    );
  }
  const what =
    found.direction === 'forward'
      ? 'had recorded the new config: the next start or import finishes it (the new material stays)'
      : 'had not recorded the new config: the next start or import rolls it back (keys/ and the config as before the import)';
  return new StreamfrontError('IMPORT_INTERRUPTED', `an import was killed half-way and ${what}`, {
    file: journalPath(keysDir),
    hint: 'start the front (./run.sh) or run the import again (bash ./certImport.sh ...); --check itself changes nothing',
  });
}
