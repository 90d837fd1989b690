// Tells a read that failed because the machine is short of something (descriptors, memory, a
// busy or flaky mount) from a read that failed because the file is wrong: the first passes.
import { StreamfrontError } from '../errors/error.js';

/**
 * errnos that say "not now" rather than "not this file". EIO and ESTALE are here because on a
 * network mount they come and go with the server; a disk that really fails keeps failing, and
 * a retry every few seconds costs nothing.
 */
const TRANSIENT_ERRNOS: ReadonlySet<string> = new Set([
  'EMFILE',
  'ENFILE',
  'EAGAIN',
  'EWOULDBLOCK',
  'EBUSY',
  'EIO',
  'ENOMEM',
  'EINTR',
  'ESTALE',
  'ETIMEDOUT',
]);

export function errnoOf(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function isTransientErrno(err: unknown): boolean {
  const code = errnoOf(err);
  return code !== undefined && TRANSIENT_ERRNOS.has(code);
}

/** The one wording of a transient read failure, whoever read the file (config, material, keystore). */
export function buildTransientReadError(file: string, what: string, err: unknown): StreamfrontError {
  const code = errnoOf(err) ?? 'error';
  return new StreamfrontError(
    'MATERIAL_READ_TRANSIENT',
    `${what} could not be read just now (${code}); the file itself may be fine and the read is retried`,
    {
      file,
      hint: 'nothing to change in the file: free file descriptors or memory (ulimit -n, open connections) or check the mount; a running front retries by itself',
      cause: err,
    },
  );
}

/** Throws the transient error when err is transient; returns otherwise so the caller maps the rest. */
export function rethrowIfTransient(file: string, what: string, err: unknown): void {
  if (isTransientErrno(err)) throw buildTransientReadError(file, what, err);
}
