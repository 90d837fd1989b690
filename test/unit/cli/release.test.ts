// npm run release, as a serving host gets it: unpacked into a root-owned folder and run by an
// unprivileged user, it imports and answers --check without compiling, even with source files
// newer than its build (the old run.sh then tried to build and failed with EACCES).
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildPki, type Pki } from '../../fixtures/pki.js';
import { projectRoot } from '../../fixtures/project-root.js';
import { cleanEnv, isRoot } from '../errors/run-folder.js';

const NOBODY = 65534;

describe('the release artifact', { skip: isRoot ? false : 'needs root to unpack as root and run as nobody' }, () => {
  let pki: Pki;
  let base: string;
  let install: string;
  let runDir: string;
  before(async () => {
    pki = await buildPki();
    base = mkdtempSync(join(tmpdir(), 'sf-release-'));
    chmodSync(base, 0o755);
  });
  after(() => rmSync(base, { recursive: true, force: true }));

  it('npm run release writes streamfront-<version>.tgz holding the build and production dependencies only', () => {
    const res = spawnSync('npm', ['run', '--silent', 'release'], {
      cwd: projectRoot,
      encoding: 'utf8',
      env: { ...cleanEnv(), STREAMFRONT_RELEASE_DIR: base },
      timeout: 300_000,
    });
    assert.equal(res.status, 0, res.stderr);
    const version = (
      JSON.parse(spawnSync('cat', [join(projectRoot, 'package.json')], { encoding: 'utf8' }).stdout) as {
        version: string;
      }
    ).version;
    const tarball = join(base, `streamfront-${version}.tgz`);
    assert.equal(res.stdout.trim(), tarball);
    const listing = spawnSync('tar', ['tzf', tarball], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).stdout.split(
      '\n',
    );
    const top = `streamfront-${version}/`;
    for (const f of [
      'run.sh',
      'certImport.sh',
      'dist/.release',
      'dist/src/cli/front.js',
      'node_modules/fastify/package.json',
      'config/streamserver.conf',
    ])
      assert.ok(listing.includes(top + f), `${f} packed`);
    assert.ok(!listing.some((f) => f.startsWith(`${top}node_modules/typescript/`)), 'no dev dependency');
    assert.ok(!listing.some((f) => f.startsWith(`${top}dist/test/`)), 'no compiled tests');
    const opt = join(base, 'opt');
    mkdirSync(opt, { mode: 0o755 });
    assert.equal(spawnSync('tar', ['xzf', tarball, '-C', opt]).status, 0);
    install = join(opt, `streamfront-${version}`);
    // A source newer than the build: the old wrapper compiled here and failed with EACCES.
    const future = new Date(Date.now() + 3_600_000);
    utimesSync(join(install, 'package.json'), future, future);
    utimesSync(join(install, 'src', 'cli', 'ensure-built.sh'), future, future);
  });

  it('run as nobody from a root-owned install: certImport.sh imports and run.sh --check passes, nothing compiled', () => {
    assert.ok(install !== undefined, 'the release was unpacked');
    runDir = join(base, 'front');
    mkdirSync(join(runDir, 'config'), { recursive: true });
    copyFileSync(join(install, 'config', 'streamserver.conf'), join(runDir, 'config', 'streamserver.conf'));
    copyFileSync(pki.ca.cert, join(runDir, 'ca.crt'));
    copyFileSync(pki.server.cert, join(runDir, 'server.crt'));
    copyFileSync(pki.server.keyEncrypted, join(runDir, 'server.key'));
    chmodSync(join(runDir, 'server.key'), 0o600);
    writeFileSync(join(runDir, 'pass'), `${pki.password}\n`, { mode: 0o600 });
    for (const p of [
      runDir,
      join(runDir, 'config'),
      ...readdirSync(runDir).map((n) => join(runDir, n)),
      join(runDir, 'config', 'streamserver.conf'),
    ])
      chownSync(p, NOBODY, NOBODY);
    const config = join(runDir, 'config', 'streamserver.conf');
    const asNobody = (script: string, args: string[]): SpawnSyncReturns<string> =>
      spawnSync('runuser', ['-u', 'nobody', '--', 'bash', join(install, script), ...args], {
        cwd: runDir,
        encoding: 'utf8',
        env: { ...cleanEnv(), HOME: runDir },
        timeout: 60_000,
      });
    const imported = asNobody('certImport.sh', [
      '-c',
      'ca.crt',
      '-s',
      'server.crt',
      '-k',
      'server.key',
      '--config',
      config,
      '--password-file',
      'pass',
    ]);
    assert.equal(imported.status, 0, `${imported.stdout}\n${imported.stderr}`);
    const checked = asNobody('run.sh', ['--check', '--config', config]);
    assert.equal(checked.status, 0, checked.stderr);
    assert.match(checked.stdout, /check passed/);
    assert.doesNotMatch(`${imported.stderr}${checked.stderr}`, /building|installing|EACCES/);
  });
});
