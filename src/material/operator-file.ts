// Reads one operator-supplied material file (certificate, key, CRL) under the file rules: a
// regular file that only we or root can change, and a key that nobody outside our groups reads.
import { constants, promises as fsp } from 'node:fs';
import { StreamfrontError } from '../errors/error.js';
import { rethrowIfTransient } from '../fs/transient-read.js';
import { ROLE_LABELS, type MaterialRole } from '../pki/index.js';

/** A 100,000-entry CRL is about 4 MB; nothing legitimate comes near this. */
const MAX_MATERIAL_BYTES = 64 * 1024 * 1024;
/** The key may be readable by the owner's group at most: a pod's fsGroup reads it, nobody else. */
const KEY_ALLOWED_MODE = 0o640;

export interface OperatorFile {
  readonly role: MaterialRole;
  /** The path as the operator or the config wrote it, for messages. */
  readonly label: string;
  readonly bytes: Buffer;
}

/** Who the process is, for the ownership rule; undefined where the platform has no uids. */
export interface ProcessIdentity {
  readonly uid: number;
  readonly gid: number;
  /** Supplementary groups: in Kubernetes the pod's fsGroup is one of them. */
  readonly groups: readonly number[];
}

export function currentIdentity(): ProcessIdentity | undefined {
  if (typeof process.geteuid !== 'function' || typeof process.getegid !== 'function') return undefined;
  return {
    uid: process.geteuid(),
    gid: process.getegid(),
    groups: typeof process.getgroups === 'function' ? process.getgroups() : [],
  };
}

const ROOT_UID = 0;
const GROUP_OR_OTHER_WRITE = 0o022;
const GROUP_READ = 0o040;
const mode4 = (mode: number): string => mode.toString(8).padStart(4, '0');

/**
 * The ownership rule. A file owned by the serving user is the run-folder case: unchanged, the
 * key at most 0640. A file owned by root is what the kubelet (and a root-run config manager)
 * writes: root can change anything anyway, so it is trusted as owner, but nobody else may
 * write it, and its key may be read by the group only when that group is one of ours (the
 * pod's fsGroup), never by others. Any other owner could swap the file under us: refused.
 */
export function checkFileOwnership(
  stat: { readonly uid: number; readonly gid: number; readonly mode: number },
  role: MaterialRole,
  label: string,
  who: ProcessIdentity | undefined,
): void {
  if (who === undefined) return;
  const what = ROLE_LABELS[role];
  const mode = stat.mode & 0o7777;
  const isOurs = stat.uid === who.uid;
  if (!isOurs && stat.uid !== ROOT_UID) {
    throw new StreamfrontError(
      'MATERIAL_FILE_NOT_OWNED',
      `${what} is owned by uid ${stat.uid}, not by the current user (uid ${who.uid})${who.uid === ROOT_UID ? '' : ' or root'}`,
      {
        file: label,
        hint: `copy it to a file you own, or run: chown ${who.uid} ${label}`,
      },
    );
  }
  if (isOurs) {
    if (role === 'server-key' && (mode & ~KEY_ALLOWED_MODE) !== 0) {
      throw new StreamfrontError('MATERIAL_KEY_MODE_TOO_OPEN', `${what} has mode ${mode4(mode)}, more than 0640`, {
        file: label,
        hint: `chmod 600 ${label}`,
      });
    }
    return;
  }
  // Owned by root while we are not root: the platform's layout.
  if ((mode & GROUP_OR_OTHER_WRITE) !== 0) {
    throw new StreamfrontError(
      'MATERIAL_FILE_WRITABLE_BY_OTHERS',
      `${what} is owned by root with mode ${mode4(mode)}: its group or others can change it`,
      {
        file: label,
        hint: `chmod go-w ${label} (in Kubernetes: a defaultMode without group or other write, e.g. 0440)`,
      },
    );
  }
  if (role !== 'server-key') return;
  const isOurGroup = stat.gid === who.gid || who.groups.includes(stat.gid);
  const allowed = isOurGroup ? GROUP_READ | 0o400 : 0o400;
  if ((mode & ~allowed) !== 0) {
    const why =
      (mode & 0o007) !== 0
        ? 'others can read it'
        : isOurGroup
          ? 'more than 0440'
          : `its group ${stat.gid} is not one of ours (gid ${who.gid}, groups ${who.groups.join(',') || 'none'})`;
    throw new StreamfrontError(
      'MATERIAL_KEY_MODE_TOO_OPEN',
      `${what} is owned by root with mode ${mode4(mode)}: ${why}`,
      {
        file: label,
        hint: `chmod 440 ${label} and give it our group (in Kubernetes: defaultMode 0440 with securityContext.fsGroup set to the group the front runs with)`,
      },
    );
  }
}

/**
 * Opens first and checks the opened file (fstat), so the checks and the bytes are about the
 * same inode even when the path is swapped meanwhile. Symlinks are followed on purpose:
 * Kubernetes secret volumes are symlinks through `..data`.
 */
export async function readOperatorFile(path: string, role: MaterialRole, label: string = path): Promise<OperatorFile> {
  const what = ROLE_LABELS[role];
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    rethrowIfTransient(label, what, err);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new StreamfrontError('MATERIAL_FILE_MISSING', `${what} not found`, {
        file: label,
        hint: 'check the path',
        cause: err,
      });
    }
    throw new StreamfrontError('MATERIAL_FILE_UNREADABLE', `${what} cannot be read (${code ?? 'error'})`, {
      file: label,
      hint: 'make it readable by the user running streamfront (a root-owned key: group-readable by one of its groups, e.g. the pod fsGroup)',
      cause: err,
    });
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) {
      throw new StreamfrontError('MATERIAL_FILE_NOT_REGULAR', `${what} is not a regular file`, {
        file: label,
        hint: 'give the path of the file itself',
      });
    }
    checkFileOwnership(stat, role, label, currentIdentity());
    if (stat.size > MAX_MATERIAL_BYTES) {
      throw new StreamfrontError(
        'MATERIAL_FILE_TOO_LARGE',
        `${what} is ${stat.size} bytes, over the ${MAX_MATERIAL_BYTES}-byte limit`,
        {
          file: label,
          hint: 'check that the right file was given',
        },
      );
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
