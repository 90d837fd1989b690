// The import's intent record (keys/.import-journal): written atomically before the import makes
// its first visible change, removed last. It holds what the import is about to change, so the
// next import or start can tell a half-done import from a done one and finish it either way.
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { StreamfrontError } from '../errors/error.js';
import { acquirePidLock, type ReleaseLock } from '../fs/pid-lock.js';
import { fsyncDirectory, writeFileAtomic } from '../fs/atomic-write.js';

export const JOURNAL_NAME = '.import-journal';
export const IMPORT_LOCK_NAME = '.import.lock';
/** Staging folders are keys/.import-<random>; the journal's name does not match it (no dash after "import"). */
export const STAGING_PREFIX = '.import-';

export interface ImportJournal {
  readonly version: 1;
  readonly pid: number;
  /** Name of the staging folder inside keys/ (the copies keys/ gets as hard links). */
  readonly stagingName: string;
  /** keys/ file names the import links into place, each a hard link of the staged copy. */
  readonly files: readonly string[];
  readonly isKeysDirCreated: boolean;
  /** No keystore existed: the one this import saves goes away with a roll-back. */
  readonly isKeystoreCreated: boolean;
  /** The file the config rename replaces (the config itself, or what its symlink points to). */
  readonly configTarget: string;
  readonly configTemp: string;
  /** The commit point: the config holding exactly these bytes means the import went through. */
  readonly newConfigSha256: string;
}

export function sha256Text(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

export function journalPath(keysDir: string): string {
  return join(keysDir, JOURNAL_NAME);
}

export async function writeJournal(keysDir: string, journal: ImportJournal): Promise<void> {
  await writeFileAtomic(journalPath(keysDir), `${JSON.stringify(journal)}\n`, { mode: 0o600 });
}

/** Removed last, after whatever it describes is finished, so a crash during clean-up is recovered again. */
export async function removeJournal(keysDir: string): Promise<void> {
  await fsp.rm(journalPath(keysDir), { force: true });
  await fsyncDirectory(keysDir);
}

function isJournal(v: unknown): v is ImportJournal {
  const j = v as Partial<ImportJournal> | null;
  return (
    typeof j === 'object' &&
    j !== null &&
    j.version === 1 &&
    typeof j.stagingName === 'string' &&
    j.stagingName.startsWith(STAGING_PREFIX) &&
    !j.stagingName.includes('/') &&
    Array.isArray(j.files) &&
    j.files.every((f) => typeof f === 'string' && !f.includes('/')) &&
    typeof j.configTarget === 'string' &&
    typeof j.configTemp === 'string' &&
    typeof j.newConfigSha256 === 'string'
  );
}

/** The journal, undefined when there is none; a journal that is not ours is refused, never guessed at. */
export async function readJournal(keysDir: string): Promise<ImportJournal | undefined> {
  let text: string;
  try {
    text = await fsp.readFile(journalPath(keysDir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!isJournal(parsed)) {
    throw new StreamfrontError(
      'IMPORT_INTERRUPTED',
      'the record of an interrupted import is not readable, so it cannot be finished safely',
      {
        file: journalPath(keysDir),
        hint: 'compare keys/ and the config by hand, restore them from the files you imported, then remove keys/.import-journal',
      },
    );
  }
  return parsed;
}

export function acquireImportLock(keysDir: string): Promise<ReleaseLock> {
  const lockPath = join(keysDir, IMPORT_LOCK_NAME);
  return acquirePidLock(lockPath, {
    locked: (owner) =>
      new StreamfrontError(
        'IMPORT_IN_PROGRESS',
        `another import is running (process ${owner || 'unknown'}) in this keys/ folder`,
        {
          file: lockPath,
          hint: 'wait for it to finish, then run the command again',
        },
      ),
    writeFailed: (err) =>
      new StreamfrontError(
        'IMPORT_COMMIT_FAILED',
        `cannot create the import lock (${(err as NodeJS.ErrnoException).code ?? 'error'}); nothing was changed`,
        {
          file: lockPath,
          hint: 'check free space and permissions of keys/, then run the import again',
          cause: err,
        },
      ),
  });
}
