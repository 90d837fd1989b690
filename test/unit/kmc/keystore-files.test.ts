// The keystore files as an operator meets them: 0600 copies, repair of a damaged or missing
// copy, both damaged, both missing, the higher generation winning, and the operator secret.
import assert from 'node:assert/strict';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Keystore, keystorePathsIn, loadOperatorSecret, type KeystorePaths } from '../../../src/kmc/index.js';
import { assertRejectsCode, makeKeysDir } from './helpers.js';

const ITEM = 'server_key_mm';

describe('kmc keystore files', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let paths: KeystorePaths;
  let warnings: string[];
  const log = (level: 'warn' | 'info', msg: string): void => {
    if (level === 'warn') warnings.push(msg);
  };

  beforeEach(async () => {
    ({ dir, cleanup } = await makeKeysDir());
    paths = keystorePathsIn(dir);
    warnings = [];
  });
  afterEach(async () => cleanup());

  async function saved(options = {}): Promise<{ ks: Keystore; ct: string }> {
    const ks = Keystore.create(options);
    const ct = ks.encrypt('pw-123', ITEM, 9);
    await ks.save(paths);
    return { ks, ct };
  }

  it('creates both copies 0600 with the same content, format and generation 1', async () => {
    await saved();
    for (const f of [paths.primary, paths.standby]) assert.equal((await stat(f)).mode & 0o777, 0o600, f);
    const [a, b] = [await readFile(paths.primary, 'utf8'), await readFile(paths.standby, 'utf8')];
    assert.equal(a, b);
    assert.match(a, /^\{"format":"streamfront-kmc","version":1,"generation":1,/);
    assert.match(a, /\nhmac-sha256 [A-Za-z0-9_-]{43}\n$/);
    assert.ok(await Keystore.exists(paths));
  });

  it('opens what it saved and decrypts with it; a new master key lasts 180 days', async () => {
    const { ct } = await saved();
    const ks = await Keystore.open(paths, { log });
    assert.equal(ks.decrypt(ct, ITEM), 'pw-123');
    const [mk] = ks.status().masterKeys;
    assert.equal(mk?.state, 'active');
    assert.equal((Date.parse(mk?.expires ?? '') - Date.parse(mk?.created ?? '')) / 86400000, 180);
    assert.deepEqual(warnings, []);
  });

  for (const which of ['primary', 'standby'] as const) {
    for (const damage of ['missing', 'flipped byte', 'garbage', 'wrong version'] as const) {
      it(`uses the good copy and rewrites the ${which} when it is ${damage}`, async () => {
        const { ct } = await saved();
        const file = paths[which];
        const good = await readFile(file, 'utf8');
        if (damage === 'missing') await rm(file);
        if (damage === 'flipped byte') await writeFile(file, good.replace('"domain":0', '"domain":1'));
        if (damage === 'garbage') await writeFile(file, 'not a keystore\n');
        if (damage === 'wrong version') await writeFile(file, good.replace('"version":1', '"version":2'));
        const ks = await Keystore.open(paths, { log });
        assert.equal(ks.decrypt(ct, ITEM), 'pw-123');
        assert.equal(await readFile(file, 'utf8'), good, 'bad copy rewritten from the good one');
        assert.equal((await stat(file)).mode & 0o777, 0o600);
        assert.equal(warnings.length, 1);
        assert.ok(warnings[0]?.includes(file), warnings[0]);
      });
    }
  }

  it('refuses when both copies are damaged, naming both files and deleting nothing', async () => {
    await saved();
    await writeFile(paths.primary, 'junk\n');
    await writeFile(paths.standby, 'more junk\n');
    const err = await assertRejectsCode(Keystore.open(paths, { log }), 'KMC_KEYSTORE_DAMAGED');
    assert.ok(err.message.includes(paths.primary) && err.message.includes(paths.standby), err.message);
    assert.equal(await readFile(paths.primary, 'utf8'), 'junk\n');
    assert.equal(await readFile(paths.standby, 'utf8'), 'more junk\n');
  });

  it('refuses when a master key no longer unwraps even though the rest parses', async () => {
    await saved();
    for (const f of [paths.primary, paths.standby]) {
      const text = await readFile(f, 'utf8');
      await writeFile(
        f,
        text.replace(/"wrapped":"([A-Za-z0-9_-])/, (_m, c: string) => `"wrapped":"${c === 'A' ? 'B' : 'A'}`),
      );
    }
    await assertRejectsCode(Keystore.open(paths, { log }), 'KMC_KEYSTORE_DAMAGED');
  });

  it('refuses to open when both copies are missing and never creates one', async () => {
    const err = await assertRejectsCode(Keystore.open(paths, { log }), 'KMC_KEYSTORE_MISSING');
    assert.match((err as Error & { hint: string }).hint, /certImport\.sh/);
    assert.equal(await Keystore.exists(paths), false);
  });

  it('refuses to save a new keystore over an existing one', async () => {
    await saved();
    const before = await readFile(paths.primary, 'utf8');
    await assertRejectsCode(Keystore.create({}).save(paths), 'KMC_KEYSTORE_EXISTS');
    assert.equal(await readFile(paths.primary, 'utf8'), before);
  });

  for (const newer of ['primary', 'standby'] as const) {
    it(`lets the higher generation win when the ${newer} is newer, and rewrites the other`, async () => {
      const { ks } = await saved();
      const older = await readFile(paths.primary, 'utf8');
      ks.rotate();
      await ks.save(paths);
      const latest = await readFile(paths.primary, 'utf8');
      const other = newer === 'primary' ? 'standby' : 'primary';
      await writeFile(paths[newer], latest);
      await writeFile(paths[other], older);
      const opened = await Keystore.open(paths, { log });
      assert.equal(opened.generation, 2);
      assert.equal(opened.status().masterKeys.length, 2);
      assert.equal(await readFile(paths[other], 'utf8'), latest);
      assert.equal(warnings.length, 1);
    });
  }

  it('reports a keystore folder that cannot be written as a write failure naming the lock file', async () => {
    const missing = keystorePathsIn(`${dir}/absent`);
    const err = await assertRejectsCode(Keystore.create({}).save(missing), 'KMC_KEYSTORE_WRITE_FAILED');
    assert.match((err as Error & { file: string }).file, /absent\/\.kmc\.lock$/);
  });

  it('refuses to save a stale in-memory keystore over a newer one on disk', async () => {
    await saved();
    const a = await Keystore.open(paths, {});
    const b = await Keystore.open(paths, {});
    a.rotate();
    await a.save(paths);
    b.rotate();
    await assertRejectsCode(b.save(paths), 'KMC_KEYSTORE_CHANGED');
  });

  describe('operator secret', () => {
    const secret = Buffer.from('correct horse battery staple');

    it('opens with the right secret', async () => {
      const { ct } = await saved({ operatorSecret: secret });
      const ks = await Keystore.open(paths, { operatorSecret: secret });
      assert.equal(ks.decrypt(ct, ITEM), 'pw-123');
      assert.equal(ks.status().hasOperatorSecret, true);
    });

    it('reports a wrong secret as wrong, not as damage, and leaves the files alone', async () => {
      await saved({ operatorSecret: secret });
      const before = await readFile(paths.primary, 'utf8');
      await assertRejectsCode(
        Keystore.open(paths, { operatorSecret: Buffer.from('wrong'), log }),
        'KMC_OPERATOR_SECRET_WRONG',
      );
      assert.equal(await readFile(paths.primary, 'utf8'), before);
      assert.equal(await readFile(paths.standby, 'utf8'), before);
    });

    it('reports a missing secret as missing', async () => {
      await saved({ operatorSecret: secret });
      await assertRejectsCode(Keystore.open(paths, { log }), 'KMC_OPERATOR_SECRET_MISSING');
    });

    it('without the secret the root material in the file alone does not open it', async () => {
      await saved({ operatorSecret: secret });
      const text = await readFile(paths.primary, 'utf8');
      // Strip the secret record: the HMAC (keyed with the secret mixed in) must then fail.
      await writeFile(paths.primary, text.replace(/"operatorSecret":\{[^}]*\}/, '"operatorSecret":null'));
      await writeFile(paths.standby, text.replace(/"operatorSecret":\{[^}]*\}/, '"operatorSecret":null'));
      await assertRejectsCode(Keystore.open(paths, {}), 'KMC_KEYSTORE_DAMAGED');
    });

    it('is read from STREAMFRONT_KMC_SECRET_FILE, else $CREDENTIALS_DIRECTORY, minus a trailing newline', async () => {
      await writeFile(`${dir}/s1`, 'alpha\n');
      await writeFile(`${dir}/streamfront-kmc-secret`, 'beta');
      assert.deepEqual(
        await loadOperatorSecret({ STREAMFRONT_KMC_SECRET_FILE: `${dir}/s1`, CREDENTIALS_DIRECTORY: dir }),
        Buffer.from('alpha'),
      );
      assert.deepEqual(await loadOperatorSecret({ CREDENTIALS_DIRECTORY: dir }), Buffer.from('beta'));
      assert.equal(await loadOperatorSecret({}), undefined);
      await assertRejectsCode(
        loadOperatorSecret({ STREAMFRONT_KMC_SECRET_FILE: `${dir}/absent` }),
        'KMC_OPERATOR_SECRET_UNREADABLE',
      );
      await writeFile(`${dir}/empty`, '\n');
      await assertRejectsCode(
        loadOperatorSecret({ STREAMFRONT_KMC_SECRET_FILE: `${dir}/empty` }),
        'KMC_OPERATOR_SECRET_UNREADABLE',
      );
    });
  });
});
