// What "this file changed" means to the watcher: a cheap stat-based signature per path, and
// the folders whose entries decide what the path currently resolves to.
import { promises as fsp } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Identity and stamp of the file a path resolves to now (nanosecond stamps: two writes in one millisecond still differ). */
export interface PresentSignature {
  readonly dev: bigint;
  readonly ino: bigint;
  readonly size: bigint;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
  /** A symlink swapped to a file with identical stats (a hard link, a copy with preserved times) still changes this. */
  readonly realPath: string;
}

export type FileSignature = 'missing' | PresentSignature;

/** Identity of a folder, so a watch bound to a folder that was removed and recreated can be noticed. */
export interface FolderIdentity {
  readonly dev: bigint;
  readonly ino: bigint;
}

/** More hops than any real layout uses (Kubernetes needs two); a loop stops here instead of spinning. */
const MAX_SYMLINK_HOPS = 16;

/** Any failure (ENOENT, EACCES, ELOOP, a race with a rename) reads as 'missing': the next look decides again. */
export async function readFileSignature(path: string): Promise<FileSignature> {
  try {
    const [stats, realPath] = await Promise.all([fsp.stat(path, { bigint: true }), fsp.realpath(path)]);
    return {
      dev: stats.dev,
      ino: stats.ino,
      size: stats.size,
      mtimeNs: stats.mtimeNs,
      ctimeNs: stats.ctimeNs,
      realPath,
    };
  } catch {
    return 'missing';
  }
}

export function isSameSignature(a: FileSignature, b: FileSignature): boolean {
  if (a === 'missing' || b === 'missing') return a === b;
  return (
    a.dev === b.dev &&
    a.ino === b.ino &&
    a.size === b.size &&
    a.mtimeNs === b.mtimeNs &&
    a.ctimeNs === b.ctimeNs &&
    a.realPath === b.realPath
  );
}

export async function readFolderIdentity(folder: string): Promise<FolderIdentity | undefined> {
  try {
    const stats = await fsp.stat(folder, { bigint: true });
    return stats.isDirectory() ? { dev: stats.dev, ino: stats.ino } : undefined;
  } catch {
    return undefined;
  }
}

export function isSameFolder(a: FolderIdentity, b: FolderIdentity): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

async function realFolder(folder: string): Promise<string> {
  try {
    return await fsp.realpath(folder);
  } catch {
    return folder;
  }
}

/**
 * The folders in which a rename, delete or symlink swap changes what path resolves to: its
 * own folder and the folder of every link along its symlink chain (the last one holds the
 * final target), plus the parent of any of those that is itself a symlink (a swapped folder
 * link, as Kubernetes' `..data`). Returned as real paths, because a watch opened through a
 * folder symlink binds to whatever the link pointed at when it was opened.
 */
export async function readDecidingFolders(path: string): Promise<string[]> {
  const lexical = new Set<string>();
  let current = resolve(path);
  for (let hop = 0; hop < MAX_SYMLINK_HOPS; hop++) {
    lexical.add(dirname(current));
    let target: string;
    try {
      target = await fsp.readlink(current);
    } catch {
      break; // not a symlink (EINVAL) or not there: the chain ends here
    }
    current = resolve(dirname(current), target);
  }
  const real = new Set<string>();
  for (const folder of lexical) {
    const resolved = await realFolder(folder);
    real.add(resolved);
    if (resolved !== folder) real.add(await realFolder(dirname(folder)));
  }
  return [...real];
}
