// No lock file outlives the writer that made it: a lock whose write fails (a full disk) is
// removed at once, and an empty or garbled lock left by a crash is stale at once, not after 5 s.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Keystore, keystorePathsIn, type KeystorePaths } from '../../../src/kmc/index.js';
import { makeKeysDir } from './helpers.js';

const CHILD = fileURLToPath(new URL('./child-repair.js', import.meta.url));

describe('keystore lock after a failed write or a crash', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let paths: KeystorePaths;
  beforeEach(async () => {
    ({ dir, cleanup } = await makeKeysDir());
    paths = keystorePathsIn(dir);
  });
  afterEach(async () => cleanup());

  it('a repair on a full disk (every write fails, ulimit -f 0) leaves no lock: the next writer saves at once', async (t) => {
    const ks = Keystore.create({});
    await ks.save(paths);
    const behind = await readFile(paths.standby);
    const current = await Keystore.open(paths, {});
    current.rotate();
    await current.save(paths);
    await writeFile(paths.standby, behind); // a standby one generation behind: open() wants to repair it

    const r = spawnSync('bash', ['-c', 'ulimit -f 0 && exec "$0" "$@"', process.execPath, CHILD, dir], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const { warnings } = JSON.parse(r.stdout) as { warnings: string[] };
    assert.ok(
      warnings.some((w) => /could not repair the keystore copies/.test(w)),
      `the repair failed as on a full disk: ${warnings.join('; ')}`,
    );
    assert.deepEqual(
      (await readdir(dir)).filter((n) => n.includes('lock')),
      [],
      'no lock file, no lock temp file left',
    );

    const started = performance.now();
    const next = await Keystore.open(paths, {});
    next.rotate();
    await next.save(paths);
    const ms = performance.now() - started;
    t.diagnostic(`next writer saved ${ms.toFixed(0)} ms after the failed repair`);
    assert.equal(next.generation, 3);
  });

  for (const [what, text] of [
    ['empty', ''],
    ['garbled', 'x\u0000\u0007not-a-pid'],
    ['a pid with trailing garbage', `${process.pid}abc`],
  ] as const) {
    it(`a lock file left ${what} by a crash is stale at once`, async () => {
      await Keystore.create({}).save(paths);
      await writeFile(join(dir, '.kmc.lock'), text, { mode: 0o600 });
      const ks = await Keystore.open(paths, {});
      ks.rotate();
      await ks.save(paths); // the old code: KMC_KEYSTORE_LOCKED "locked by running process (unknown)" for 5 s
      assert.equal(ks.generation, 2);
      assert.deepEqual((await readdir(dir)).sort(), ['StandbyKsf.ks', 'kmc.ks']);
    });
  }
});
