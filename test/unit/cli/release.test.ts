// npm run release, as a serving host gets it: unpacked into a root-owned folder and run by an
// unprivileged user, it imports, answers --check and runs the kmc command without compiling,
// even with source files newer than its build (the old run.sh then tried to build and failed
// with EACCES).
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildPki, buildServerPair, type Pki } from '../../fixtures/pki.js';
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
      'kmc.sh',
      'docker/systemd/streamfront.service',
      'docker/k8s/reimport.sh',
      'docker/k8s/deployment.yaml',
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

  /** A command as the service user would type it in its run folder: unprivileged, no build tools needed. */
  const asNobody = (command: string, args: string[], path = process.env.PATH ?? ''): SpawnSyncReturns<string> =>
    spawnSync('runuser', ['-u', 'nobody', '--', command, ...args], {
      cwd: runDir,
      encoding: 'utf8',
      env: { ...cleanEnv(), HOME: runDir, PATH: path },
      timeout: 60_000,
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
    const imported = asNobody('bash', [
      join(install, 'certImport.sh'),
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
    const checked = asNobody('bash', [join(install, 'run.sh'), '--check', '--config', config]);
    assert.equal(checked.status, 0, checked.stderr);
    assert.match(checked.stdout, /check passed/, `stderr: ${checked.stderr}`);
    assert.doesNotMatch(`${imported.stderr}${checked.stderr}`, /building|installing|EACCES/);
    // The packed systemd unit's ExecStart, from its WorkingDirectory with no --config: the README's
    // layout (the release linked as /opt/streamfront, config/ in the run folder) finds everything.
    const unit = readFileSync(join(install, 'docker', 'systemd', 'streamfront.service'), 'utf8');
    const [node, ...args] = (/^ExecStart=(.*)$/m.exec(unit)?.[1] ?? '').split(' ');
    assert.equal(node, '/usr/bin/node');
    // Its node flags too: the front's --check must come after the script, where node leaves it.
    const asUnit = asNobody(process.execPath, [
      ...args.map((word) => word.replace(/^\/opt\/streamfront\//, `${install}/`)),
      '--check',
    ]);
    assert.equal(asUnit.status, 0, `${asUnit.stdout}${asUnit.stderr}`);
    assert.match(asUnit.stdout, /check passed/);
  });
  it('the kmc command runs from the unpacked release as nobody: kmc.sh, a streamfront-kmc symlink to it, and npm --prefix', () => {
    assert.ok(runDir !== undefined, 'the import made a keystore in the run folder');
    // The operator's way to put it on PATH; the wrapper follows the link back to the install.
    const bin = join(base, 'bin');
    mkdirSync(bin, { mode: 0o755 });
    symlinkSync(join(install, 'kmc.sh'), join(bin, 'streamfront-kmc'));
    const runs = {
      'kmc.sh status': asNobody(join(install, 'kmc.sh'), ['status']),
      'streamfront-kmc status': asNobody('streamfront-kmc', ['status'], `${bin}:${process.env.PATH ?? ''}`),
      'npm --prefix <install> run kmc -- status': asNobody('npm', [
        '--prefix',
        install,
        'run',
        '--silent',
        'kmc',
        '--',
        'status',
      ]),
    };
    for (const [how, res] of Object.entries(runs)) {
      const out = `${res.stdout}\n${res.stderr}`;
      assert.equal(res.status, 0, `${how}: ${out}`);
      // The keystore the import made in this run folder, not one in the install.
      assert.match(res.stdout, new RegExp(`copy ${join(runDir, 'keys', 'kmc.ks')}: good, generation 1`), how);
      assert.match(res.stdout, /^ {2}id 1 {2}active/m, how);
      assert.doesNotMatch(out, /building|installing|EACCES/, how);
    }
    const help = asNobody(join(install, 'kmc.sh'), ['--help']);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /kmc\.sh <verb>/);
    const usage = asNobody(join(install, 'kmc.sh'), ['frobnicate']);
    assert.equal(usage.status, 2, `${usage.stdout}${usage.stderr}`);
  });
  it('docker/k8s/reimport.sh from the unpacked release, as nobody: a plain key as cert-manager writes it is re-imported', async () => {
    assert.ok(runDir !== undefined, 'the first import was made');
    const issued = await buildServerPair(pki);
    for (const [from, name] of [
      [issued.cert, 'tls.crt'],
      [issued.keyPlain, 'tls.key'],
    ] as const) {
      copyFileSync(from, join(runDir, name));
      chmodSync(join(runDir, name), 0o600);
      chownSync(join(runDir, name), NOBODY, NOBODY);
    }
    const before = readFileSync(join(runDir, 'config', 'streamserver.conf'), 'utf8');
    const done = asNobody(join(install, 'docker', 'k8s', 'reimport.sh'), [runDir, 'tls.crt', 'tls.key']);
    assert.equal(done.status, 0, `${done.stdout}${done.stderr}`);
    assert.match(done.stdout, /reimport: imported/);
    assert.equal(readFileSync(join(runDir, 'keys', 'server.crt'), 'utf8'), readFileSync(issued.cert, 'utf8'));
    const mm = (text: string): string | undefined => /^server_key_mm=(.*)$/m.exec(text)?.[1];
    assert.notEqual(mm(readFileSync(join(runDir, 'config', 'streamserver.conf'), 'utf8')), mm(before));
    const checked = asNobody(join(install, 'run.sh'), ['--check']);
    assert.equal(checked.status, 0, `${checked.stdout}${checked.stderr}`);
    assert.doesNotMatch(`${done.stderr}${checked.stderr}`, /building|installing|EACCES/);
  });
});
