// Guards keys/: owner-only (0700) and never silently overwritten. An import into a keys/
// that still holds material is refused with the exact files to back up, so nothing the
// operator has not copied elsewhere is lost.
// git checks the empty keys/ (with its .gitkeep) out as 0755: that one is tightened here.
import { promises as fsp } from 'node:fs';
import { join, relative } from 'node:path';
import { StreamfrontError } from '../errors/error.js';

export const IMPORTED_FILE_NAMES = ['ca.crt', 'server.crt', 'server.key', 'ca.crl'] as const;
export type ImportedFileName = (typeof IMPORTED_FILE_NAMES)[number];

export interface KeysDirState {
  readonly path: string;
  readonly exists: boolean;
}

/** A placeholder kept so git tracks the folder; it holds nothing. */
const PLACEHOLDER_NAMES = new Set(['.gitkeep']);

async function isEmptyButPlaceholder(dir: string): Promise<boolean> {
  const names = await fsp.readdir(dir);
  return names.every((name) => PLACEHOLDER_NAMES.has(name));
}

export async function inspectKeysDir(keysDir: string, runDir: string): Promise<KeysDirState> {
  const label = relative(runDir, keysDir) || keysDir;
  let stat;
  try {
    stat = await fsp.lstat(keysDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { path: keysDir, exists: false };
    throw err;
  }
  const unsafe = (why: string, hint: string): StreamfrontError =>
    new StreamfrontError('IMPORT_KEYS_DIR_UNSAFE', why, { file: `${label}/`, hint });
  if (!stat.isDirectory()) throw unsafe('is not a folder', `move it away: mv ${label} ${label}.old`);
  const uid = typeof process.geteuid === 'function' ? process.geteuid() : stat.uid;
  if (stat.uid !== uid)
    throw unsafe(`is owned by uid ${stat.uid}, not by the current user (uid ${uid})`, `chown ${uid} ${label}`);
  const mode = stat.mode & 0o7777;
  if (mode !== 0o700) {
    // Nothing in it can have been exposed yet, and it is ours: tightening it is what the
    // operator would do by hand. Anything else in it may have been read meanwhile: refuse.
    if (!(await isEmptyButPlaceholder(keysDir)))
      throw unsafe(`has mode ${mode.toString(8).padStart(4, '0')}, not 0700`, `chmod 700 ${label}`);
    await fsp.chmod(keysDir, 0o700);
  }

  const present: string[] = [];
  for (const name of IMPORTED_FILE_NAMES) {
    try {
      await fsp.lstat(join(keysDir, name));
      present.push(`${label}/${name}`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  if (present.length > 0) {
    throw new StreamfrontError('IMPORT_KEYS_DIR_OCCUPIED', `already holds ${present.join(', ')}`, {
      file: `${label}/`,
      hint: `back them up and remove them: mkdir -p keys.bak && mv ${present.join(' ')} keys.bak/`,
    });
  }
  return { path: keysDir, exists: true };
}
