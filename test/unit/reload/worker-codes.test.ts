// A reload that fails with something other than a catalogued refusal (here an OS error from a
// keystore path that is a folder) reaches the main thread as a catalogued error naming the file,
// and an error from outside the catalogue as MATERIAL_INVALID with its first line only.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isStreamfrontError } from '../../../src/errors/error.js';
import { carryError } from '../../../src/reload/load-request.js';
import { WorkerLoader } from '../../../src/reload/worker-loader.js';
import { buildPki, type Pki } from '../../fixtures/pki.js';
import { importPkiInto, makeRunFolder, type RunFolder } from '../errors/run-folder.js';

describe('reload failures outside the catalogue', () => {
  let pki: Pki;
  let f: RunFolder;
  before(async () => {
    pki = await buildPki();
    f = makeRunFolder('sf-reload-codes-');
    importPkiInto(f, pki);
  });
  after(() => f.remove());

  it('a keystore path that became a folder: the worker load rejects with KMC_KEYSTORE_DAMAGED naming the file', async () => {
    const loader = new WorkerLoader({ configPath: f.configPath, runDir: f.dir, env: {} });
    try {
      const good = await loader.load();
      assert.equal(good.material.serverCert.serial, pki.server.serial);
      for (const name of ['kmc.ks', 'StandbyKsf.ks']) {
        rmSync(join(f.keysDir, name));
        mkdirSync(join(f.keysDir, name));
      }
      await assert.rejects(loader.load(), (err) => {
        assert.ok(isStreamfrontError(err), String(err));
        assert.equal(err.code, 'KMC_KEYSTORE_DAMAGED');
        assert.equal(err.message, 'keystore copy is a folder, not a keystore file');
        assert.equal(err.file, join(f.keysDir, 'kmc.ks'));
        assert.equal(err.exitCode, 1);
        return true;
      });
    } finally {
      await loader.close();
    }
  });

  it('keeps only the first line of an unexpected error (no stack, no input bytes)', () => {
    const carried = carryError(
      new Error('boom: first line\n    at secret (/x.js:1:1)\n-----BEGIN ENCRYPTED PRIVATE KEY-----'),
    );
    assert.deepEqual(carried, { code: 'MATERIAL_INVALID', message: 'reload failed unexpectedly (boom: first line)' });
  });
});
