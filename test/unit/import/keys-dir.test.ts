import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isStreamfrontError } from '../../../src/errors/error.js';
import { inspectKeysDir } from '../../../src/import/keys-dir.js';

describe('keys/ folder guard', () => {
  let runDir: string;
  before(async () => {
    runDir = await mkdtemp(join(tmpdir(), 'sf-keys-'));
  });
  after(async () => {
    await rm(runDir, { recursive: true, force: true });
  });

  it('reports a missing keys/ so the import creates it', async () => {
    assert.deepEqual(await inspectKeysDir(join(runDir, 'keys'), runDir), { path: join(runDir, 'keys'), exists: false });
  });

  it('makes an empty keys/ (a .gitkeep at most) 0700 itself, as git checks it out 0755', async () => {
    const keys = join(runDir, 'fresh-keys');
    await mkdir(keys);
    await writeFile(join(keys, '.gitkeep'), '');
    await chmod(keys, 0o755);
    assert.equal((await inspectKeysDir(keys, runDir)).exists, true);
    assert.equal((await stat(keys)).mode & 0o777, 0o700);
  });

  it('refuses keys/ that is not 0700 and holds anything else, with the chmod that fixes it', async () => {
    const keys = join(runDir, 'keys');
    await mkdir(keys, { mode: 0o755 });
    await chmod(keys, 0o755);
    await writeFile(join(keys, 'notes.txt'), 'x');
    await assert.rejects(
      inspectKeysDir(keys, runDir),
      (err) => isStreamfrontError(err) && err.code === 'IMPORT_KEYS_DIR_UNSAFE' && err.hint === 'chmod 700 keys',
    );
    await chmod(keys, 0o700);
    assert.equal((await inspectKeysDir(keys, runDir)).exists, true);
    await rm(join(keys, 'notes.txt'));
  });

  it('refuses keys/ that already holds material, naming each file to back up', async () => {
    const keys = join(runDir, 'keys');
    await writeFile(join(keys, 'ca.crt'), 'x');
    await writeFile(join(keys, 'server.key'), 'x');
    await writeFile(join(keys, 'kmc.ks'), 'x'); // a keystore is reused, not in the way
    await assert.rejects(inspectKeysDir(keys, runDir), (err) => {
      assert.ok(isStreamfrontError(err));
      assert.equal(err.code, 'IMPORT_KEYS_DIR_OCCUPIED');
      assert.match(err.message, /keys\/ca\.crt, keys\/server\.key$/);
      assert.match(err.hint ?? '', /mv keys\/ca\.crt keys\/server\.key keys\.bak\//);
      return true;
    });
  });
});
