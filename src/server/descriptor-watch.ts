// Says in the log when the process has run out of file descriptors, and when it has them back.
// libuv hides it: when accept() fails with EMFILE it spends a reserved descriptor to accept and
// close the waiting connections and reports nothing (uv__emfile_trick), so clients see resets
// while the front's log stays silent. A probe (open and close /dev/null) once a second finds it.
import { closeSync, openSync, readFileSync } from 'node:fs';

export interface DescriptorWatchLogger {
  warn(fields: Record<string, unknown>, msg: string): void;
  info(fields: Record<string, unknown>, msg: string): void;
}

export interface DescriptorWatchOptions {
  readonly logger: DescriptorWatchLogger;
  /** How often the probe runs. */
  readonly intervalMs?: number;
  /** While descriptors stay exhausted, the warning is repeated at most this often. */
  readonly repeatMs?: number;
  /** Test seam: opens and closes one descriptor; throws the errno when it cannot. */
  readonly probe?: () => void;
  /** The soft limit, for the message (default: read from /proc/self/limits at start). */
  readonly limit?: number | undefined;
}

const EXHAUSTED = new Set(['EMFILE', 'ENFILE']);

function probeDevNull(): void {
  closeSync(openSync('/dev/null', 'r'));
}

/** The soft RLIMIT_NOFILE from /proc/self/limits; undefined where there is no /proc. */
export function openFileLimit(limitsText?: string): number | undefined {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return undefined;
    }
  }
  const m = /^Max open files\s+(\d+)/m.exec(text);
  return m === null ? undefined : Number(m[1]);
}

export class DescriptorWatch {
  private readonly timer: NodeJS.Timeout;
  private readonly probe: () => void;
  private readonly repeatMs: number;
  private readonly limit: number | undefined;
  private exhaustedSince: number | undefined;
  private lastWarnAt = 0;
  private failedProbes = 0;

  constructor(private readonly opts: DescriptorWatchOptions) {
    this.probe = opts.probe ?? probeDevNull;
    this.repeatMs = opts.repeatMs ?? 30_000;
    this.limit = 'limit' in opts ? opts.limit : openFileLimit();
    this.timer = setInterval(() => this.check(), opts.intervalMs ?? 1_000);
    this.timer.unref();
  }

  get isExhausted(): boolean {
    return this.exhaustedSince !== undefined;
  }

  /** One probe; the interval calls it, tests may too. */
  check(): void {
    const now = Date.now();
    let code: string | undefined;
    try {
      this.probe();
    } catch (err) {
      code = (err as NodeJS.ErrnoException).code;
      if (code === undefined || !EXHAUSTED.has(code)) return; // not a descriptor shortage: not ours to report
    }
    if (code === undefined) {
      if (this.exhaustedSince !== undefined) {
        this.opts.logger.info(
          { event: 'descriptors_recovered', exhaustedMs: now - this.exhaustedSince, failedProbes: this.failedProbes },
          'file descriptors available again; new connections are accepted',
        );
      }
      this.exhaustedSince = undefined;
      this.failedProbes = 0;
      return;
    }
    this.failedProbes++;
    this.exhaustedSince ??= now;
    if (now - this.lastWarnAt < this.repeatMs && this.failedProbes > 1) return;
    this.lastWarnAt = now;
    this.opts.logger.warn(
      {
        event: 'descriptors_exhausted',
        code,
        limit: this.limit,
        exhaustedMs: now - this.exhaustedSince,
        hint: `raise the open-file limit (ulimit -n, LimitNOFILE=) above max_connections + max_unauthenticated_connections + 64, or lower those`,
      },
      `out of file descriptors (${code}${this.limit === undefined ? '' : `, limit ${this.limit}`}): new connections are dropped and files cannot be read until connections close`,
    );
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
