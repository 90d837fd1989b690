// Log lines that any client can provoke at will (refused handshakes, turned-away connections)
// pass through a token bucket: a flood costs a bounded number of lines, never the disk. The
// metrics still count every event; a line written after a quiet spell says how many were skipped.

export type LogFields = Record<string, unknown>;
export type LineWriter = (fields: LogFields, msg: string) => void;

export interface RateLimitOptions {
  /** Lines allowed per second on average. */
  readonly perSecond: number;
  /** Lines allowed at once after a quiet spell. */
  readonly burst: number;
  /** Milliseconds clock; injectable so tests need no real time. */
  readonly now?: () => number;
}

/** Lines refused by the bucket are counted, and the count rides on the next line written. */
export function buildRateLimitedWriter(write: LineWriter, opts: RateLimitOptions): LineWriter {
  const now = opts.now ?? Date.now;
  const refillPerMs = opts.perSecond / 1000;
  let tokens = opts.burst;
  let last = now();
  let skipped = 0;
  return (fields, msg) => {
    const t = now();
    tokens = Math.min(opts.burst, tokens + (t - last) * refillPerMs);
    last = t;
    if (tokens < 1) {
      skipped++;
      return;
    }
    tokens -= 1;
    if (skipped > 0) {
      write({ ...fields, skippedLines: skipped }, msg);
      skipped = 0;
    } else {
      write(fields, msg);
    }
  };
}
