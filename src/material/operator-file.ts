// Reads one operator-supplied material file (certificate, key, CRL) under the seed's file
// rules: a regular file, owned by the user we run as, and a key no more open than 0640.
import { constants, promises as fsp } from 'node:fs';
import { StreamfrontError } from '../errors/error.js';
import { rethrowIfTransient } from '../fs/transient-read.js';

export type MaterialFileRole = 'ca' | 'server-cert' | 'server-key' | 'crl';

/** A 100,000-entry CRL is about 4 MB; nothing legitimate comes near this. */
const MAX_MATERIAL_BYTES = 64 * 1024 * 1024;
/** The key may be readable by the owner's group at most (the seed's rule). */
const KEY_ALLOWED_MODE = 0o640;

export const ROLE_LABELS: Readonly<Record<MaterialFileRole, string>> = {
  ca: 'CA certificate',
  'server-cert': 'server certificate',
  'server-key': 'server private key',
  crl: 'CRL',
};

export interface OperatorFile {
  readonly role: MaterialFileRole;
  /** The path as the operator or the config wrote it, for messages. */
  readonly label: string;
  readonly bytes: Buffer;
}

function currentUid(): number {
  return typeof process.geteuid === 'function' ? process.geteuid() : -1;
}

/**
 * Opens first and checks the opened file (fstat), so the checks and the bytes are about the
 * same inode even when the path is swapped meanwhile. Symlinks are followed on purpose:
 * Kubernetes secret volumes are symlinks through `..data`.
 */
export async function readOperatorFile(path: string, role: MaterialFileRole, label: string = path): Promise<OperatorFile> {
  const what = ROLE_LABELS[role];
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    rethrowIfTransient(label, what, err);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new StreamfrontError('MATERIAL_FILE_MISSING', `${what} not found`, { file: label, hint: 'check the path', cause: err });
    }
    throw new StreamfrontError('MATERIAL_FILE_UNREADABLE', `${what} cannot be read (${code ?? 'error'})`, {
      file: label,
      hint: 'make it readable by the user running streamfront',
      cause: err,
    });
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) {
      throw new StreamfrontError('MATERIAL_FILE_NOT_REGULAR', `${what} is not a regular file`, { file: label, hint: 'give the path of the file itself' });
    }
    const uid = currentUid();
    if (uid >= 0 && stat.uid !== uid) {
      throw new StreamfrontError('MATERIAL_FILE_NOT_OWNED', `${what} is owned by uid ${stat.uid}, not by the current user (uid ${uid})`, {
        file: label,
        hint: `copy it to a file you own, or run: chown ${uid} ${label}`,
      });
    }
    const mode = stat.mode & 0o7777;
    if (role === 'server-key' && (mode & ~KEY_ALLOWED_MODE) !== 0) {
      throw new StreamfrontError('MATERIAL_KEY_MODE_TOO_OPEN', `${what} has mode ${mode.toString(8).padStart(4, '0')}, more than 0640`, {
        file: label,
        hint: `chmod 600 ${label}`,
      });
    }
    if (stat.size > MAX_MATERIAL_BYTES) {
      throw new StreamfrontError('MATERIAL_FILE_TOO_LARGE', `${what} is ${stat.size} bytes, over the ${MAX_MATERIAL_BYTES}-byte limit`, {
        file: label,
        hint: 'check that the right file was given',
      });
    }
    const bytes = await handle.readFile();
    return { role, label, bytes };
  } catch (err) {
    rethrowIfTransient(label, what, err);
    throw err;
  } finally {
    await handle.close();
  }
}
