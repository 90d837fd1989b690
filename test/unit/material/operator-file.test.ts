import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isStreamfrontError } from '../../../src/errors/error.js';
import { readOperatorFile } from '../../../src/material/operator-file.js';

describe('operator material files', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sf-opfile-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a regular file and names a missing one', async () => {
    const path = join(dir, 'ca.crt');
    await writeFile(path, 'PEM');
    assert.equal((await readOperatorFile(path, 'ca', 'ca.crt')).bytes.toString(), 'PEM');
    await assert.rejects(readOperatorFile(join(dir, 'nope.crt'), 'ca', 'nope.crt'), (err) => isStreamfrontError(err) && err.code === 'MATERIAL_FILE_MISSING' && err.file === 'nope.crt');
  });

  it('refuses a folder given as a certificate', async () => {
    await mkdir(join(dir, 'folder'));
    await assert.rejects(readOperatorFile(join(dir, 'folder'), 'server-cert'), (err) => isStreamfrontError(err) && err.code === 'MATERIAL_FILE_NOT_REGULAR');
  });

  it('refuses a key with bits beyond 0640 and gives the chmod', async () => {
    const key = join(dir, 'server.key');
    await writeFile(key, 'KEY', { mode: 0o600 });
    await chmod(key, 0o644);
    await assert.rejects(readOperatorFile(key, 'server-key', 'server.key'), (err) => isStreamfrontError(err) && err.code === 'MATERIAL_KEY_MODE_TOO_OPEN' && err.hint === 'chmod 600 server.key');
    await chmod(key, 0o640);
    assert.equal((await readOperatorFile(key, 'server-key')).bytes.toString(), 'KEY');
  });
});
