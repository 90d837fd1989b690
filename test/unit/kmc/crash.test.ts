// A writer killed with SIGKILL between any two save steps leaves at least one good keystore that
// open() uses and repairs; a live writer's lock refuses a second writer; temp files are 0600.
import assert from 'node:assert/strict';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Keystore, keystorePathsIn, type KeystorePaths } from '../../../src/kmc/index.js';
import { assertRejectsCode, makeKeysDir, startPausedWriter } from './helpers.js';

const ITEM = 'server_key_mm';
const STEPS = ['locked', 'primary-temp', 'primary-renamed', 'standby-temp', 'standby-renamed'] as const;

describe('kmc crash safety and locking', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let paths: KeystorePaths;

  beforeEach(async () => {
    ({ dir, cleanup } = await makeKeysDir());
    paths = keystorePathsIn(dir);
  });
  afterEach(async () => cleanup());

  for (const step of STEPS) {
    it(`rotate killed -9 after "${step}" leaves a keystore that opens, decrypts and repairs`, async () => {
      const ks = Keystore.create({});
      const ct = ks.encrypt('pw', ITEM, 8);
      await ks.save(paths);
      const writer = await startPausedWriter(dir, 'rotate', step);
      await writer.kill9();
      const warnings: string[] = [];
      const opened = await Keystore.open(paths, { log: (_l, m) => warnings.push(m) });
      assert.equal(opened.decrypt(ct, ITEM), 'pw');
      const expectedGeneration = step === 'primary-renamed' || step.startsWith('standby') ? 2 : 1;
      assert.equal(opened.generation, expectedGeneration);
      assert.equal(
        await readFile(paths.primary, 'utf8'),
        await readFile(paths.standby, 'utf8'),
        'copies equal after repair',
      );
      // The dead writer's lock is stale: the next save goes through and cleans its temp files.
      opened.rotate();
      await opened.save(paths);
      assert.deepEqual((await readdir(dir)).sort(), ['StandbyKsf.ks', 'kmc.ks']);
    });
  }

  for (const step of ['locked', 'primary-temp'] as const) {
    it(`a first save (init) killed -9 after "${step}" leaves nothing that open() mistakes for a keystore`, async () => {
      const writer = await startPausedWriter(dir, 'init', step);
      await writer.kill9();
      await assertRejectsCode(Keystore.open(paths, {}), 'KMC_KEYSTORE_MISSING');
      assert.equal(await Keystore.exists(paths), false);
    });
  }

  it('init killed -9 after the primary is renamed leaves a usable keystore', async () => {
    const writer = await startPausedWriter(dir, 'init', 'primary-renamed');
    await writer.kill9();
    const opened = await Keystore.open(paths, {});
    assert.equal(opened.generation, 1);
    assert.equal(await readFile(paths.standby, 'utf8'), await readFile(paths.primary, 'utf8'));
  });

  it('creates the temp file 0600 from the start', async () => {
    await Keystore.create({}).save(paths);
    const writer = await startPausedWriter(dir, 'rotate', 'primary-temp');
    try {
      const temps = (await readdir(dir)).filter((n) => n.endsWith('.tmp'));
      assert.equal(temps.length, 1);
      assert.equal((await stat(join(dir, temps[0] as string))).mode & 0o777, 0o600);
    } finally {
      await writer.kill9();
    }
  });

  it('refuses a second writer while a live process holds the lock, then takes over a dead one', async () => {
    const ks = Keystore.create({});
    await ks.save(paths);
    const writer = await startPausedWriter(dir, 'rotate', 'locked');
    const mine = await Keystore.open(paths, {});
    mine.rotate();
    let err: Error;
    try {
      err = await assertRejectsCode(mine.save(paths), 'KMC_KEYSTORE_LOCKED');
    } finally {
      await writer.kill9();
    }
    assert.match(err.message, new RegExp(`process ${String(writer.child.pid)}`));
    await mine.save(paths);
    assert.equal((await Keystore.open(paths, {})).generation, 2);
  });

  it('treats a lock naming a dead pid as stale', async () => {
    await Keystore.create({}).save(paths);
    await writeFile(join(dir, '.kmc.lock'), '999999999\n');
    const ks = await Keystore.open(paths, {});
    ks.rotate();
    await ks.save(paths);
    assert.equal(ks.generation, 2);
  });
});
