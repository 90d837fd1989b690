// A config's relative material paths and keys/ belong to its run folder (the folder above its
// config/), whatever the current folder: run.sh --config F and kmc work from anywhere.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runFolderOf } from '../../../src/config/index.js';
import { buildPki, type Pki } from '../../fixtures/pki.js';
import { projectRoot } from '../../fixtures/project-root.js';
import { BUILD_ROOT, cleanEnv, importPkiInto, makeRunFolder, type RunFolder } from '../errors/run-folder.js';

describe('the run folder of a config', () => {
  let pki: Pki;
  let f: RunFolder;
  let elsewhere: string;
  before(async () => {
    pki = await buildPki();
    f = makeRunFolder('sf-runfolder-');
    importPkiInto(f, pki);
    elsewhere = mkdtempSync(join(tmpdir(), 'sf-elsewhere-'));
  });
  after(() => {
    f?.remove();
    rmSync(elsewhere, { recursive: true, force: true });
  });

  it("is the folder above config/, else the config file's own folder", () => {
    assert.equal(runFolderOf('/srv/front/config/streamserver.conf'), '/srv/front');
    assert.equal(runFolderOf('/etc/streamfront/streamserver.conf'), '/etc/streamfront');
    // A config mounted with the material (one Kubernetes Secret as keys/) belongs to the folder above.
    assert.equal(runFolderOf('/srv/front/keys/streamserver.conf'), '/srv/front');
  });

  it('run.sh --check --config <run folder>/config/streamserver.conf passes from another folder', () => {
    const res = spawnSync('bash', [join(f.dir, 'run.sh'), '--check', '--config', f.configPath], {
      cwd: elsewhere,
      encoding: 'utf8',
      env: cleanEnv(),
      timeout: 60_000,
    });
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stdout, /check passed/);
  });

  it('npm run kmc -- status works from the run folder, and `| head -1` ends without a stack trace', () => {
    const npm = spawnSync('npm', ['--prefix', projectRoot, 'run', '--silent', 'kmc', '--', 'status'], {
      cwd: f.dir,
      encoding: 'utf8',
      env: cleanEnv(),
      timeout: 60_000,
    });
    assert.equal(npm.status, 0, npm.stderr);
    assert.match(npm.stdout, /^copy .*kmc\.ks: good/m);
    const kmc = join(BUILD_ROOT, 'src', 'cli', 'kmc.js');
    // Many lines through a pipe closed after the first: the writer must meet EPIPE quietly.
    const piped = spawnSync(
      'bash',
      ['-c', `for i in 1 2 3 4 5 6 7 8; do node "${kmc}" status; done | head -1; exit "\${PIPESTATUS[0]}"`],
      { cwd: f.dir, encoding: 'utf8', env: cleanEnv(), timeout: 60_000 },
    );
    assert.match(piped.stdout, /^copy /);
    assert.equal(piped.stderr, '', 'no stack trace');
  });
});
