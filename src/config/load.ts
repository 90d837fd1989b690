// The config file's I/O: read and parse (warnings for the native reader's limits), and the
// atomic rewrite that keeps the file's mode and refuses text the native reader would break on.
import { promises as fsp } from 'node:fs';
import { dirname } from 'node:path';
import { StreamfrontError } from '../errors/error.js';
import { fsyncDirectory, writeTempFile } from '../fs/atomic-write.js';
import { rethrowIfTransient } from '../fs/transient-read.js';
import { validateConfigSize } from './limits.js';
import { parseConfigText, type ParsedConfig } from './parse.js';

/** A new config is owner-only: it holds the KMC ciphertext of the key password. */
export const NEW_CONFIG_MODE = 0o600;

export async function loadConfigFile(path: string): Promise<{ text: string; parsed: ParsedConfig }> {
  let text: string;
  try {
    const stat = await fsp.stat(path);
    if (!stat.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'ENOTFILE' });
    text = await fsp.readFile(path, 'utf8');
  } catch (err) {
    // Out of descriptors or memory says nothing about the config: not CONFIG_UNREADABLE.
    rethrowIfTransient(path, 'config file', err);
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    const reason =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EACCES'
          ? 'is not readable by this user'
          : code === 'ENOTFILE'
            ? 'is not a regular file'
            : `cannot be read (${code})`;
    throw new StreamfrontError('CONFIG_UNREADABLE', `config file ${reason}`, {
      file: path,
      hint: 'pass --config <file>, set MX_SDK_HOME, or copy the shipped config/streamserver.conf into place',
      cause: err,
    });
  }
  return { text, parsed: parseConfigText(text, path) };
}

/** Throws CONFIG_TOO_LARGE when the text breaks the native reader's limits. */
export function assertConfigFitsEngine(text: string, file: string): void {
  const problem = validateConfigSize(text)[0];
  if (problem === undefined) return;
  throw new StreamfrontError('CONFIG_TOO_LARGE', `${problem.message}; the file was not written`, {
    file,
    hint: 'remove comment or blank lines, or shorten the long value (paths can be relative to the run folder)',
  });
}

/** The file a write of `path` must replace: a linked config is written through its link. */
export async function realTarget(path: string): Promise<string> {
  // Write through a symlink rather than replace it, so a linked config stays linked.
  try {
    return await fsp.realpath(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return path;
    throw err;
  }
}

export async function writeConfigAtomic(path: string, text: string): Promise<void> {
  assertConfigFitsEngine(text, path);
  const target = await realTarget(path);
  let mode = NEW_CONFIG_MODE;
  try {
    mode = (await fsp.stat(target)).mode & 0o7777;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const temp = await writeTempFile(target, text, { mode });
  try {
    // The umask may have narrowed the mode at creation; the old file's mode is the contract.
    if (((await fsp.stat(temp)).mode & 0o7777) !== mode) await fsp.chmod(temp, mode);
    await fsp.rename(temp, target);
  } catch (err) {
    await fsp.rm(temp, { force: true });
    throw err;
  }
  await fsyncDirectory(dirname(target));
}
