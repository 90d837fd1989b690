// A full disk in plain words: ENOSPC and EDQUOT reach the operator as "no space left" naming the
// file being written and the folder to free space in, not as a bare errno.
import { dirname } from 'node:path';

const NO_SPACE_REASONS: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on the device (ENOSPC)',
  EDQUOT: 'the disk quota is exhausted (EDQUOT)',
};

/** The errno of an error or of the error it wraps (a catalogued error keeps the OS error as its cause). */
export function errnoOf(err: unknown): string | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
  }
  return undefined;
}

/** "no space left on the device (ENOSPC)" when err is a full disk or quota, else undefined. */
export function noSpaceReason(err: unknown): string | undefined {
  const code = errnoOf(err);
  return code === undefined ? undefined : NO_SPACE_REASONS[code];
}

/** The fix for a full disk at `file`: the folder to free space in and the command that shows it. */
export function freeSpaceHint(file: string): string {
  const dir = dirname(file);
  return `free space on the file system holding ${dir} (df -h ${dir})`;
}
