// Preloaded with `node --import` into the real kmc command by rotate-killed.test.ts: holds the
// process just before or just after a keystore copy is renamed into place, and says so on
// stderr, so the test can SIGKILL it exactly there. No test seam in src/ is needed for it.
import { promises as fsp } from 'node:fs';
import { basename } from 'node:path';

const [when, name] = (process.env.SF_TEST_PAUSE_RENAME ?? '').split(':') as ['before' | 'after', string];
const rename = fsp.rename.bind(fsp);

async function pause(): Promise<never> {
  process.stderr.write(`kmc-test-paused ${when}:${name}\n`);
  // Never resolves; the interval keeps the process alive until the test kills it.
  return new Promise<never>(() => {
    setInterval(() => undefined, 1 << 30);
  });
}

fsp.rename = async (from, to) => {
  const isHit = basename(String(to)) === name;
  if (isHit && when === 'before') await pause();
  await rename(from, to);
  if (isHit && when === 'after') await pause();
};
