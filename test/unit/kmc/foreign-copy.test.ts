// A keystore copy from another run folder (valid, higher generation) placed in keys/ is foreign,
// not newer: the copy that decrypts this config's server_key_mm keeps serving and is never
// overwritten. Checking (run.sh --check, kmc status) writes nothing, and says what it would repair.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { loadConfigFile, readFrontConfig } from '../../../src/config/index.js';
import { Keystore, keystorePathsIn } from '../../../src/kmc/index.js';
import { loadMaterial } from '../../../src/material/load.js';
import { buildPki, type Pki } from '../../fixtures/pki.js';
import { cleanEnv, errorLines, importPkiInto, makeRunFolder, type RunFolder } from '../errors/run-folder.js';

const KMC_CLI = fileURLToPath(new URL('../../../src/cli/kmc.js', import.meta.url));

function importedFolder(pki: Pki, prefix: string): RunFolder {
  const f = makeRunFolder(prefix);
  importPkiInto(f, pki);
  return f;
}

/** Another run folder's keystore, rotated to a higher generation than ours. */
async function foreignKeystoreFile(pki: Pki): Promise<{ file: string; folder: RunFolder }> {
  const other = importedFolder(pki, 'sf-kmc-other-');
  const paths = keystorePathsIn(other.keysDir);
  for (let i = 0; i < 3; i++) {
    const ks = await Keystore.open(paths, {});
    ks.rotate();
    await ks.save(paths);
  }
  return { file: paths.primary, folder: other };
}

function kmcStatus(f: RunFolder): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [KMC_CLI, 'status'], {
    cwd: f.dir,
    env: cleanEnv(),
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('keystore repair never destroys the copy that fits the config', () => {
  let pki: Pki;
  const folders: RunFolder[] = [];
  before(async () => {
    pki = await buildPki();
  });
  after(() => {
    for (const f of folders) f.remove();
  });

  it('a foreign kmc.ks of a higher generation: the front loads with the good standby and overwrites neither copy', async () => {
    const f = importedFolder(pki, 'sf-kmc-foreign-');
    const foreign = await foreignKeystoreFile(pki);
    folders.push(f, foreign.folder);
    const paths = keystorePathsIn(f.keysDir);
    const goodStandby = readFileSync(paths.standby);
    copyFileSync(foreign.file, paths.primary);
    const foreignBytes = readFileSync(paths.primary);
    const warnings: string[] = [];
    const config = readFrontConfig((await loadConfigFile(f.configPath)).parsed);
    const material = await loadMaterial({
      config,
      runDir: f.dir,
      env: {},
      now: new Date(),
      log: (_l, msg) => warnings.push(msg),
    });
    assert.equal(
      material.serverCert.serial,
      pki.server.serial,
      'the key password came from the copy that fits the config',
    );
    assert.deepEqual(readFileSync(paths.standby), goodStandby, 'the only good copy was not overwritten');
    assert.deepEqual(
      readFileSync(paths.primary),
      foreignBytes,
      'the foreign copy is left for the operator to move away',
    );
    assert.ok(
      warnings.some((w) => w.includes(paths.primary) && /cannot decrypt server_key_mm/.test(w)),
      warnings.join('\n'),
    );
  });

  it('run.sh --check with a foreign kmc.ks passes with the good copy and writes nothing', async () => {
    const f = importedFolder(pki, 'sf-kmc-check-foreign-');
    const foreign = await foreignKeystoreFile(pki);
    folders.push(f, foreign.folder);
    copyFileSync(foreign.file, keystorePathsIn(f.keysDir).primary);
    const before = f.snapshot();
    const r = f.run('run.sh', ['--check']);
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.deepEqual(errorLines(r.stderr, 'run'), []);
    assert.equal(f.snapshot(), before, 'keys/ and the config are exactly as they were');
    assert.match(r.stdout, /cannot decrypt server_key_mm/);
  });

  it('run.sh --check and kmc status with a standby that is behind: report the repair, write nothing', async () => {
    const f = importedFolder(pki, 'sf-kmc-check-behind-');
    folders.push(f);
    const paths = keystorePathsIn(f.keysDir);
    const oldStandby = readFileSync(paths.standby);
    const ks = await Keystore.open(paths, {});
    ks.rotate();
    await ks.save(paths);
    writeFileSync(paths.standby, oldStandby);
    const before = f.snapshot();

    const check = f.run('run.sh', ['--check']);
    assert.equal(check.status, 0, check.stderr + check.stdout);
    assert.equal(f.snapshot(), before, 'run.sh --check wrote nothing');
    assert.match(
      check.stdout,
      new RegExp(`${paths.standby.replace(/[.]/g, '\\.')} is behind \\(generation 1\\); a repair would rewrite it`),
    );

    const status = kmcStatus(f);
    assert.equal(status.code, 0, status.stderr);
    assert.equal(f.snapshot(), before, 'kmc status wrote nothing');
    assert.match(status.stderr, /would rewrite it from the good copy \(not done: read-only\)/);
    assert.match(status.stdout, /StandbyKsf\.ks: good, generation 1/);

    // The front's start repairs it (it may write; checking may not).
    const config = readFrontConfig((await loadConfigFile(f.configPath)).parsed);
    await loadMaterial({ config, runDir: f.dir, env: {}, now: new Date() });
    assert.deepEqual(readFileSync(paths.standby), readFileSync(paths.primary));
  });
});
