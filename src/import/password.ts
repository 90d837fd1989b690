// Obtains the server key's password from the terminal (echo off), one line of stdin, or an
// owner-only file. The password only ever lives in memory: never argv, env, logs or errors.
import { constants, promises as fsp } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { StreamfrontError } from '../errors/error.js';

export type PasswordSource =
  | { readonly kind: 'tty' }
  | { readonly kind: 'stdin' }
  | { readonly kind: 'file'; readonly path: string };

/** server_key_mm may hold at most 400 characters; 100 password characters fit under it. */
export const MAX_PASSWORD_CHARS = 100;
/** Bytes read from stdin or a file before giving up on finding the end of the line. */
const MAX_LINE_BYTES = 4096;

export interface PasswordIo {
  readonly stdin: Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  readonly prompt: Writable;
}

export function validatePassword(password: string): string {
  // UTF-16 code units, the unit the keystore's 400-character bound is guaranteed for.
  const chars = password.length;
  if (chars === 0) {
    throw new StreamfrontError('IMPORT_PASSWORD_EMPTY', 'the key password is empty', {
      hint: 'enter the password the server key was encrypted with',
    });
  }
  if (chars > MAX_PASSWORD_CHARS) {
    throw new StreamfrontError(
      'IMPORT_PASSWORD_TOO_LONG',
      `the key password has ${chars} characters, over the ${MAX_PASSWORD_CHARS}-character limit`,
      {
        hint: 'encrypt the key again with a shorter password: openssl pkcs8 -topk8 -v2 aes-256-cbc -in server.key -out server.key.new',
      },
    );
  }
  return password;
}

/** Picks the source the operator asked for; with no option, the terminal when there is one. */
export function choosePasswordSource(
  options: { passwordStdin: boolean; passwordFile?: string | undefined },
  stdinIsTty: boolean,
): PasswordSource {
  if (options.passwordFile !== undefined) return { kind: 'file', path: options.passwordFile };
  if (options.passwordStdin) return { kind: 'stdin' };
  if (!stdinIsTty) {
    throw new StreamfrontError(
      'IMPORT_PASSWORD_NO_TTY',
      'stdin is not a terminal, so the password cannot be asked for',
      {
        hint: 'pipe it with --password-stdin or name an owner-only file with --password-file F',
      },
    );
  }
  return { kind: 'tty' };
}

export async function readPassword(source: PasswordSource, io: PasswordIo): Promise<string> {
  switch (source.kind) {
    case 'tty':
      return validatePassword(await readFromTerminal(io, 'Password of the server key: '));
    case 'stdin':
      return validatePassword(firstLine(await readUpToLine(io.stdin)));
    case 'file':
      return validatePassword(firstLine(await readPasswordFile(source.path)));
  }
}

function firstLine(buf: Buffer): string {
  const text = buf.toString('utf8');
  const end = text.search(/\r?\n/);
  return end === -1 ? text : text.slice(0, end);
}

async function readUpToLine(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    chunks.push(buf);
    total += buf.length;
    if (buf.includes(0x0a) || total >= MAX_LINE_BYTES) break;
  }
  return Buffer.concat(chunks);
}

async function readPasswordFile(path: string): Promise<Buffer> {
  const unsafe = (why: string): StreamfrontError =>
    new StreamfrontError('IMPORT_PASSWORD_FILE_UNSAFE', `password file ${why}`, {
      file: path,
      hint: `chmod 600 ${path} (and own it: it must not be readable by others)`,
    });
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw new StreamfrontError(
      'IMPORT_PASSWORD_FILE_UNSAFE',
      `password file cannot be opened (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      {
        file: path,
        hint: 'check the path given to --password-file',
      },
    );
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw unsafe('is not a regular file');
    const uid = typeof process.geteuid === 'function' ? process.geteuid() : stat.uid;
    if (stat.uid !== uid) throw unsafe(`is owned by uid ${stat.uid}, not by the current user`);
    if ((stat.mode & 0o077) !== 0)
      throw unsafe(
        `has mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')}; group and others must have no access`,
      );
    const buf = Buffer.alloc(MAX_LINE_BYTES);
    const { bytesRead } = await handle.read(buf, 0, MAX_LINE_BYTES, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * Raw mode turns echo off and hands us every key: we handle Enter, backspace, Ctrl-C and
 * Ctrl-D ourselves, and restore the terminal whatever happens.
 */
function readFromTerminal(io: PasswordIo, prompt: string): Promise<string> {
  const { stdin } = io;
  return new Promise<string>((resolve, reject) => {
    let chars: string[] = [];
    const decoder = new TextDecoder('utf-8');
    const finish = (err: Error | undefined): void => {
      stdin.removeListener('data', onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      io.prompt.write('\n');
      if (err === undefined) resolve(chars.join(''));
      else reject(err);
      chars = [];
    };
    const onData = (chunk: Buffer | string): void => {
      const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
      for (const ch of text) {
        if (ch === '\r' || ch === '\n') return finish(undefined);
        if (ch === '\u0003' || (ch === '\u0004' && chars.length === 0)) {
          return finish(
            new StreamfrontError('IMPORT_PASSWORD_ABORTED', 'password entry interrupted', {
              hint: 'run the import again',
            }),
          );
        }
        if (ch === '\u007f' || ch === '\b') chars.pop();
        else if (ch === '\u0015')
          chars = []; // Ctrl-U: start over, as in a shell
        else if (ch >= ' ') chars.push(ch);
      }
    };
    // Echo off before the prompt shows: whatever is typed once the prompt is visible stays hidden.
    stdin.setRawMode?.(true);
    io.prompt.write(prompt);
    stdin.on('data', onData);
    stdin.resume();
  });
}
