// Two keystore refusals no other test provokes: a config whose server_key_mm was made with a
// master key that has since been retired (an old config restored from a backup), and a keystore
// file that reads back different from what was just written (a disk that lies).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it, mock } from 'node:test';
import { Keystore, keystorePathsIn } from '../../../src/kmc/index.js';
import { buildPki, type Pki } from '../../fixtures/pki.js';
import {
  BUILD_ROOT,
  cleanEnv,
  errorLines,
  importPkiInto,
  makeRunFolder,
  type RunFolder,
} from '../errors/run-folder.js';
import { assertRejectsCode, makeKeysDir } from './helpers.js';

const KMC_CLI = join(BUILD_ROOT, 'src', 'cli', 'kmc.js');

describe('keystore refusals', () => {
  let pki: Pki;
  let f: RunFolder;
  before(async () => {
    pki = await buildPki();
    f = makeRunFolder('sf-kmc-codes-');
  });
  after(() => f.remove());

  it('run.sh --check with a restored config whose server_key_mm uses a retired master key: KMC_KEY_RETIRED', () => {
    importPkiInto(f, pki);
    const backup = join(f.dir, 'streamserver.conf.bak');
    copyFileSync(f.configPath, backup);
    for (const verb of ['rotate', 'rewrap', 'retire']) {
      const res = spawnSync(process.execPath, [KMC_CLI, verb], { cwd: f.dir, env: cleanEnv(), encoding: 'utf8' });
      assert.equal(res.status, 0, `kmc ${verb}: ${res.stderr}`);
    }
    assert.equal(f.run('run.sh', ['--check']).status, 0, 'the rewrapped config must still load');
    copyFileSync(backup, f.configPath); // the operator restores the config from before the rotation
    const res = f.run('run.sh', ['--check']);
    assert.equal(res.status, 1, res.stderr);
    const lines = errorLines(res.stderr, 'run');
    assert.equal(lines.length, 1, res.stderr);
    assert.match(
      lines[0] ?? '',
      /^run: error: item server_key_mm: ciphertext names master key 1, which has been retired; fix: re-run the import \(bash \.\/certImport\.sh \.\.\.\) .*\[KMC_KEY_RETIRED\]$/,
    );
  });

  it('save() refuses a keystore that reads back different from what was written: KMC_KEYSTORE_VERIFY_FAILED', async () => {
    const { dir, cleanup } = await makeKeysDir();
    try {
      const paths = keystorePathsIn(dir);
      const realReadFile = fsp.readFile;
      // The disk returns the standby copy with one byte changed, as a failing disk or file system might.
      mock.method(fsp, 'readFile', async (...args: Parameters<typeof fsp.readFile>) => {
        const data = await realReadFile(...args);
        if (args[0] !== paths.standby) return data;
        const text = String(data);
        return `${text.slice(0, -2)}${text.at(-2) === 'A' ? 'B' : 'A'}${text.slice(-1)}`;
      });
      const err = await assertRejectsCode(Keystore.create({}).save(paths), 'KMC_KEYSTORE_VERIFY_FAILED');
      assert.equal((err as { file?: string }).file, paths.standby);
      assert.match((err as { hint?: string }).hint ?? '', /npm run kmc -- status/);
    } finally {
      mock.restoreAll();
      await cleanup();
    }
  });
});
