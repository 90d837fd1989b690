// The pino transport behind front_log_dir, run in pino's worker thread: writes
// <dir>/<stem>.<n>.log, starts <n+1> once the file reaches the size, and keeps a fixed number
// of older files.
// Written here on sonic-boom (pino's own writer) rather than with pino-roll, whose rotation
// waits until nothing is pending: under steady logging a file grew past the size without
// bound, and its count limit listed the folder before the new file existed, keeping one file
// more or fewer by a race. Here a file overshoots by at most one piece of lines (16 KB), and
// the folder is pruned once the new file is open.
import { readdirSync, statSync } from 'node:fs';
import { readdir, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import sonicBoom from 'sonic-boom';

// A CommonJS module: its class is the default export at run time, a named one in its types.
const { SonicBoom } = sonicBoom as unknown as typeof import('sonic-boom');

export interface LogRollOptions {
  /** <dir>/<stem>: files are <stem>.<n>.log. */
  readonly file: string;
  /** A file is closed and the next started once it holds this many bytes. */
  readonly maxBytes: number;
  /** Rotated files kept besides the active one. */
  readonly keep: number;
}

/**
 * sonic-boom writes a chunk it is given in one write(2), however long, and the worker hands it
 * all that the front logged since its last turn: cut into pieces of whole lines about this long,
 * a file ends at most one piece past maxBytes.
 */
const PIECE_CHARS = 16 * 1024;

/** Log lines name clients and reasons, never secrets; still, not for every local user. */
const LOG_FILE_MODE = 0o640;

/** <stem>.<n>.log → n; anything else (other files in the folder) → undefined. */
function rotationNumber(name: string, stem: string): number | undefined {
  const match = /^(.*)\.(\d+)\.log$/.exec(name);
  return match !== null && match[1] === stem ? Number(match[2]) : undefined;
}

/** The highest <n> of <stem>.<n>.log in the folder, 1 when there is none (or no folder yet). */
function newestNumber(dir: string, stem: string): number {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 1;
  }
  return Math.max(1, ...names.map((name) => rotationNumber(name, stem) ?? 0));
}

/** `data` cut after a newline near every PIECE_CHARS; a longer line stays whole. */
export function* linePieces(data: string, pieceChars = PIECE_CHARS): Generator<string> {
  let start = 0;
  while (data.length - start > pieceChars) {
    const cut = data.lastIndexOf('\n', start + pieceChars - 1);
    const next = cut >= start ? cut + 1 : data.indexOf('\n', start + pieceChars) + 1;
    if (next === 0) break;
    yield data.slice(start, next);
    start = next;
  }
  if (start < data.length) yield data.slice(start);
}

const fileOf = (stemPath: string, n: number): string => `${stemPath}.${n}.log`;

/**
 * Deletes all but the `keep` newest rotated files beside `active`, by number. Files of earlier
 * runs count too, so restarts never pile up. A file already gone is not an error.
 */
export async function pruneRotated(active: string, keep: number): Promise<string[]> {
  const dir = dirname(active);
  const stem = basename(active).replace(/\.\d+\.log$/, '');
  const older = (await readdir(dir))
    .filter((name) => name !== basename(active))
    .map((name) => ({ name, n: rotationNumber(name, stem) }))
    .filter((f): f is { name: string; n: number } => f.n !== undefined)
    .sort((a, b) => b.n - a.n);
  const doomed = older.slice(keep).map((f) => join(dir, f.name));
  await Promise.all(
    doomed.map((path) => unlink(path).catch((err: NodeJS.ErrnoException) => reportUntidied(path, err))),
  );
  return doomed;
}

/** The log itself is what failed to be tidied, so this goes to stderr; logging goes on. */
function reportUntidied(path: string, err: NodeJS.ErrnoException): void {
  if (err.code === 'ENOENT') return;
  process.stderr.write(
    `streamfront: could not remove the old log file ${path} (${err.code ?? err.message}); front_log_files is exceeded until it can be\n`,
  );
}

/** Continues the newest file of an earlier run; a restart does not start a new file. */
export default function logRollTransport(options: LogRollOptions): InstanceType<typeof SonicBoom> {
  let number = newestNumber(dirname(options.file), basename(options.file));
  const stream = new SonicBoom({ dest: fileOf(options.file, number), mkdir: true, mode: LOG_FILE_MODE });
  let size = 0;
  let sizeKnown = false;
  let pruning: Promise<unknown> = Promise.resolve();
  // 'ready' follows each open: at start and after each rotation. One prune at a time, in order.
  stream.on('ready', () => {
    // sonic-boom's file (the one just opened) is missing from its type definitions.
    const active = (stream as unknown as { file: string }).file;
    if (!sizeKnown) {
      // What the continued file already holds counts toward its size.
      size = readSizeOf(active);
      sizeKnown = true;
    }
    pruning = pruning.then(() =>
      pruneRotated(active, options.keep).catch((err: NodeJS.ErrnoException) => reportUntidied(dirname(active), err)),
    );
  });
  const writeWhole = stream.write.bind(stream);
  stream.write = (data: string): boolean => {
    if (data.length <= PIECE_CHARS) return writeWhole(data);
    let belowHighWater = true;
    for (const piece of linePieces(data)) belowHighWater = writeWhole(piece);
    return belowHighWater;
  };
  // 'write' follows each write(2). reopen() lets that write finish, then sends what is still
  // pending to the new file: a file ends at most one write (one piece) past maxBytes.
  stream.on('write', (bytes: number) => {
    size += bytes;
    if (size >= options.maxBytes) {
      size = 0;
      number += 1;
      stream.reopen(fileOf(options.file, number));
    }
  });
  return stream;
}

function readSizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
