// Shared settings of the property tests. A fixed seed and a modest run count keep the default
// suite quick and its failures reproducible; FC_RUNS and FC_SEED give a longer or different
// run on demand (README, Test). Every property also times each run: a parser that loops on a
// crafted input must show up as a failure with a figure, not as a stalled suite.
import fc from 'fast-check';
import type { TestContext } from 'node:test';
import { StreamfrontError } from '../../../src/errors/error.js';

export const SEED = process.env.FC_SEED === undefined ? 20_261_202 : Number(process.env.FC_SEED);
const RUNS_OVERRIDE = process.env.FC_RUNS === undefined ? undefined : Number(process.env.FC_RUNS);

/** One run of a property may take this long on a busy machine; a hang takes forever. */
export const RUN_BOUND_MS = 2_000;

/** numRuns: FC_RUNS when set, else this property's default. */
export function runs(defaultRuns: number): number {
  return RUNS_OVERRIDE !== undefined && Number.isSafeInteger(RUNS_OVERRIDE) && RUNS_OVERRIDE > 0
    ? RUNS_OVERRIDE
    : defaultRuns;
}

/** The only failure a parser of untrusted bytes may show: a typed error with a code. */
export function isTypedError(err: unknown): boolean {
  return err instanceof StreamfrontError && typeof err.code === 'string' && err.code.length > 0;
}

/**
 * Checks `property` with the shared seed, timing every run: fails when one run exceeds
 * RUN_BOUND_MS, and reports the run count, the slowest run and the total in a diagnostic.
 */
export function checkTimed<T>(
  t: TestContext,
  arb: fc.Arbitrary<T>,
  property: (value: T) => void,
  defaultRuns: number,
): void {
  let slowest = 0;
  const numRuns = runs(defaultRuns);
  const t0 = performance.now();
  fc.assert(
    fc.property(arb, (value) => {
      const start = performance.now();
      property(value);
      const ms = performance.now() - start;
      slowest = Math.max(slowest, ms);
      if (ms > RUN_BOUND_MS) throw new Error(`one run took ${ms.toFixed(0)} ms (bound ${RUN_BOUND_MS} ms)`);
    }),
    { seed: SEED, numRuns },
  );
  t.diagnostic(
    `${numRuns} runs (seed ${SEED}) in ${(performance.now() - t0).toFixed(0)} ms, slowest run ${slowest.toFixed(1)} ms`,
  );
}

/** Mutations of real bytes: flip bits, overwrite, truncate, insert, delete, or splice a DER length. */
export function mutated(original: Buffer): fc.Arbitrary<Buffer> {
  const len = original.length;
  const at = fc.nat({ max: Math.max(0, len - 1) });
  const flip = fc.tuple(at, fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
    const b = Buffer.from(original);
    b[i] = (b[i] as number) ^ x;
    return b;
  });
  const flips = fc.array(fc.tuple(at, fc.integer({ min: 1, max: 255 })), { minLength: 2, maxLength: 8 }).map((xs) => {
    const b = Buffer.from(original);
    for (const [i, x] of xs) b[i] = (b[i] as number) ^ x;
    return b;
  });
  const truncate = fc.nat({ max: len }).map((n) => original.subarray(0, n));
  const insert = fc
    .tuple(at, fc.uint8Array({ minLength: 1, maxLength: 16 }))
    .map(([i, bytes]) => Buffer.concat([original.subarray(0, i), bytes, original.subarray(i)]));
  const remove = fc
    .tuple(at, fc.integer({ min: 1, max: 32 }))
    .map(([i, n]) => Buffer.concat([original.subarray(0, i), original.subarray(i + n)]));
  // A length byte pointing past, short of, or far beyond its value: the walker's hardest case.
  const lengths = [0x00, 0x01, 0x7f, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x88, 0xff];
  const splice = fc.tuple(at, fc.constantFrom(...lengths), fc.constantFrom(...lengths)).map(([i, a, c]) => {
    const b = Buffer.from(original);
    const j = Math.min(len - 1, i + 1);
    if (j >= 0) {
      b[j] = a;
      if (j + 1 < len) b[j + 1] = c;
    }
    return b;
  });
  return fc.oneof(flip, flips, truncate, insert, remove, splice);
}
