// Durable whole-file replacement: temp file created exclusively with its final mode, data
// fsynced, renamed over the target, folder fsynced. A crash leaves the old or the new file.
import { randomBytes } from 'node:crypto';
import { constants, promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** Mode the temp file is created with (so a secret is never readable, not even briefly). */
  readonly mode: number;
  /** The temp file's path, when the caller must record it before it exists (an import journal). Default tempPathFor(target). */
  readonly tempPath?: string;
}

/** Temp files are hidden, named after their target and recognisable for clean-up. */
export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
}

export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await fsp.open(dir, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes data to a new exclusive temp file beside target and fsyncs it; returns its path. */
export async function writeTempFile(
  target: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions,
): Promise<string> {
  const temp = options.tempPath ?? tempPathFor(target);
  const handle = await fsp.open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, options.mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => undefined);
    await fsp.rm(temp, { force: true });
    throw err;
  }
  await handle.close();
  return temp;
}

export async function writeFileAtomic(
  target: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions,
): Promise<void> {
  const temp = await writeTempFile(target, data, options);
  try {
    await fsp.rename(temp, target);
  } catch (err) {
    await fsp.rm(temp, { force: true });
    throw err;
  }
  await fsyncDirectory(dirname(target));
}
