// Where the front's log lines go: stdout by default (batched synchronous writes), or files in
// front_log_dir rotated by size and count, in a worker thread, so neither the
// writes nor a rotation ever block the event loop.
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino, { type DestinationStream } from 'pino';
import type { LogRollOptions } from './log-roll-transport.js';

/** Lines are held until this many bytes are pending (below sonic-boom's 16 KB maxWrite), then written in one write(2). */
const LOG_BUFFER_BYTES = 8 * 1024;
/** ...or until this much time passed, so a quiet front's log is never more than this late. */
const LOG_FLUSH_MS = 250;
/** The active file is <front_log_dir>/streamfront.<n>.log, the highest n. */
export const LOG_FILE_STEM = 'streamfront';

export interface LogFiles {
  /** front_log_dir as written: relative to the run folder. */
  readonly dir: string;
  readonly maxMb: number;
  /** Rotated files kept besides the active one. */
  readonly files: number;
}

/**
 * stdout, written synchronously (no thread-pool hop) but in batches: one write(2) per access
 * line is a measurable share of a small request's cost. What is pending is written on exit.
 */
function buildStdoutDestination(): DestinationStream {
  const destination = pino.destination({ dest: 1, sync: true, minLength: LOG_BUFFER_BYTES });
  setInterval(() => destination.flush(), LOG_FLUSH_MS).unref();
  process.once('exit', () => destination.flushSync());
  return destination;
}

/** The transport module, compiled beside this one (dist/src/server/). */
const LOG_ROLL_TRANSPORT = fileURLToPath(new URL('./log-roll-transport.js', import.meta.url));

function buildFileDestination(files: LogFiles, runDir: string): DestinationStream {
  const dir = isAbsolute(files.dir) ? files.dir : resolve(runDir, files.dir);
  const options: LogRollOptions = {
    file: join(dir, LOG_FILE_STEM),
    maxBytes: files.maxMb * 1024 * 1024,
    keep: files.files,
  };
  return pino.transport({ target: LOG_ROLL_TRANSPORT, options }) as DestinationStream;
}

/** files undefined (no front_log_dir, or a --check that must write nothing): stdout. */
export function buildLogDestination(files: LogFiles | undefined, runDir: string): DestinationStream {
  return files === undefined || files.dir === '' ? buildStdoutDestination() : buildFileDestination(files, runDir);
}
