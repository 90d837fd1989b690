// A config/streamserver.conf that is a symlink (to a shared or mounted config) must stay a
// symlink after an import, with the import recorded in the file it points to, as
// writeConfigAtomic does for the kmc command.
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, readFileSync, renameSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildPki, type Pki } from '../../fixtures/pki.js';
import { copyPkiInto, makeRunFolder, type RunFolder } from '../errors/run-folder.js';

describe('certImport.sh with a symlinked config', () => {
  let pki: Pki;
  let f: RunFolder;
  before(async () => {
    pki = await buildPki();
    f = makeRunFolder('sf-link-');
    copyPkiInto(f, pki);
  });
  after(() => f.remove());

  it('records the import in the linked file and keeps the link', () => {
    const shared = join(f.dir, 'shared', 'streamserver.conf');
    mkdirSync(join(f.dir, 'shared'));
    renameSync(f.configPath, shared);
    symlinkSync(shared, f.configPath);
    const res = f.run('certImport.sh', [
      '-c',
      'ca.crt',
      '-s',
      'server.crt',
      '-k',
      'server.key',
      '--password-file',
      f.passwordFile(pki.password),
    ]);
    assert.equal(res.status, 0, res.stderr);
    assert.ok(lstatSync(f.configPath).isSymbolicLink(), 'config/streamserver.conf is no longer a symlink');
    assert.match(
      readFileSync(shared, 'utf8'),
      /^ca_crt=keys\/ca\.crt$/m,
      'the linked config does not record the import',
    );
  });
});
