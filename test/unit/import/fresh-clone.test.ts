// The README's import command on a real `git clone` of this repository: git checks the empty
// keys/ (its .gitkeep) out as 0755, and the import must make it 0700 itself, not refuse it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildPki, importArgsOf, type Pki } from '../../fixtures/pki.js';
import { projectRoot } from '../../fixtures/project-root.js';
import { BUILD_ROOT, cleanEnv } from '../errors/run-folder.js';

describe('certImport.sh on a fresh git clone', () => {
  let pki: Pki;
  let base: string;
  let clone: string;
  before(async () => {
    pki = await buildPki();
    base = mkdtempSync(join(tmpdir(), 'sf-clone-'));
    clone = join(base, 'streamfront');
    const res = spawnSync('git', ['clone', '-q', projectRoot, clone], { encoding: 'utf8' });
    assert.equal(res.status, 0, res.stderr);
    // The clone runs this build (no npm ci, no compile): dist/ and node_modules/ point here.
    mkdirSync(join(clone, 'dist'));
    symlinkSync(join(BUILD_ROOT, 'src'), join(clone, 'dist', 'src'));
    symlinkSync(join(projectRoot, 'node_modules'), join(clone, 'node_modules'));
    const stamp = join(clone, 'dist', '.build-stamp');
    writeFileSync(stamp, '');
    const future = new Date(Date.now() + 3_600_000);
    utimesSync(stamp, future, future);
  });
  after(() => rmSync(base, { recursive: true, force: true }));

  it('git gives keys/ mode 0755 with only .gitkeep in it; the import makes it 0700 and succeeds', () => {
    assert.equal(statSync(join(clone, 'keys')).mode & 0o777, 0o755, 'the premise: git checked keys/ out 0755');
    const passwordFile = join(base, 'pass');
    writeFileSync(passwordFile, `${pki.password}\n`, { mode: 0o600 });
    const res = spawnSync('bash', ['./certImport.sh', ...importArgsOf(pki), '--password-file', passwordFile], {
      cwd: clone,
      encoding: 'utf8',
      env: cleanEnv(),
      timeout: 60_000,
    });
    assert.equal(res.status, 0, `${res.stdout}\n${res.stderr}`);
    assert.doesNotMatch(res.stderr, /IMPORT_KEYS_DIR_UNSAFE|streamfront: building/);
    assert.equal(statSync(join(clone, 'keys')).mode & 0o777, 0o700);
    assert.match(readFileSync(join(clone, 'config', 'streamserver.conf'), 'utf8'), /^server_crt=keys\/server\.crt$/m);
  });
});
