// The import on a full disk: a small tmpfs is filled so that the import runs out of space at
// the staged copy of the CRL, at the keystore write and at the config write. Each time the
// operator gets one line naming the file, ENOSPC in plain words and where to free space; keys/
// and the config are byte for byte as before and no temp file is left. Needs root (mount).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  ftruncateSync,
  fstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { formatErrorLine, isStreamfrontError, type StreamfrontError } from '../../../src/errors/error.js';
import { buildPki, writeLargeCrl, type Pki } from '../../fixtures/pki.js';
import { importInProcess } from '../../fixtures/import-in-process.js';
import { projectRoot } from '../../fixtures/project-root.js';
import { snapshot } from './snapshot.js';

const CLI = fileURLToPath(new URL('../../../src/cli/cert-import.js', import.meta.url));

/** Mounts a tmpfs of `size`; the reason it cannot, when it cannot (not root, no CAP_SYS_ADMIN). */
function mountTmpfs(dir: string, size: string): string | undefined {
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.error !== undefined) return `mount could not run (${r.error.message})`;
  return r.status === 0 ? undefined : `mount -t tmpfs is not permitted here: ${r.stderr.trim()}`;
}

/** Fills the file system of `file` until write() says ENOSPC, then gives back `leave` bytes. */
function fill(file: string, leave = 0): void {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024, 0x55);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  }
  if (leave > 0) ftruncateSync(fd, Math.max(0, fstatSync(fd).size - leave));
  closeSync(fd);
}

/** Every file and folder under dir, relative, sorted: a left-over temp file shows up here. */
function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      out.push(relative(dir, join(d, e.name)));
      if (e.isDirectory()) walk(join(d, e.name));
    }
  };
  walk(dir);
  return out.sort();
}

const mountPoint = mkdtempSync(join(tmpdir(), 'sf-diskfull-'));
const whyNot = mountTmpfs(mountPoint, '8m');
if (whyNot !== undefined) rmSync(mountPoint, { recursive: true, force: true });

describe('import on a full disk (tmpfs)', { skip: whyNot }, () => {
  let pki: Pki;
  let crl: string;
  let n = 0;
  const filler = join(mountPoint, 'filler');

  before(async () => {
    pki = await buildPki();
    crl = (await writeLargeCrl(pki, 20_000)).path; // ~1 MB: more than the room left for the copy
  });
  after(() => {
    spawnSync('umount', [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  });

  /** A fresh run folder on the tmpfs with the shipped config and no keys/ yet. */
  function runDirOnTmpfs(): string {
    rmSync(filler, { force: true });
    const dir = join(mountPoint, `run-${++n}`);
    mkdirSync(join(dir, 'config'), { recursive: true });
    copyFileSync(join(projectRoot, 'config', 'streamserver.conf'), join(dir, 'config', 'streamserver.conf'));
    return dir;
  }

  const inputs = () => ({ ca: pki.ca.cert, serverCert: pki.server.cert, serverKey: pki.server.keyEncrypted, crl });

  function assertUnchanged(dir: string, before: string): void {
    rmSync(filler, { force: true });
    assert.equal(snapshot(dir), before, 'keys/ and the config are as they were');
    assert.deepEqual(listing(dir), ['config', 'config/streamserver.conf'], 'no temp, staging or lock file is left');
  }

  async function importFailing(dir: string, fillAt: string, leave = 0): Promise<StreamfrontError> {
    let failure: unknown;
    await importInProcess(dir, inputs(), pki.password, (step) => {
      if (step === fillAt) fill(filler, leave);
    }).catch((err: unknown) => {
      failure = err;
    });
    assert.ok(isStreamfrontError(failure), `a catalogued error, got ${String(failure)}`);
    return failure;
  }

  it('at the copy: exit 1, one line naming keys/ca.crl with ENOSPC in plain words and the fix', () => {
    const dir = runDirOnTmpfs();
    const before = snapshot(dir);
    fill(filler, 256 * 1024); // room for the small files, not for the 1 MB CRL
    const run = spawnSync(
      process.execPath,
      [CLI, '-c', pki.ca.cert, '-s', pki.server.cert, '-k', pki.server.keyEncrypted, '-r', crl, '--password-stdin'],
      { cwd: dir, input: `${pki.password}\n`, encoding: 'utf8' },
    );
    assert.equal(run.status, 1, run.stderr);
    const lines = run.stderr.split('\n').filter((l) => l.startsWith('certImport: error:'));
    assert.equal(lines.length, 1, run.stderr);
    assert.match(
      lines[0] ?? '',
      /keys\/ca\.crl: no space left on the device \(ENOSPC\) while writing it; the import changed nothing; fix: free space on the file system holding \S+\/keys \(df -h \S+\/keys\), then run the import again \[IMPORT_NO_SPACE\]$/,
    );
    assertUnchanged(dir, before);
  });

  it('at the keystore write: IMPORT_NO_SPACE naming the keystore file; nothing changed', async () => {
    const dir = runDirOnTmpfs();
    const before = snapshot(dir);
    // One page left: the keystore's lock file gets it, the keystore itself does not.
    const err = await importFailing(dir, 'config-temp-written', 4096);
    assert.equal(err.code, 'IMPORT_NO_SPACE');
    assert.equal(err.exitCode, 1);
    assert.match(
      formatErrorLine(err),
      /keys\/kmc\.ks: no space left on the device \(ENOSPC\) while writing it; the import changed nothing; fix: free space on the file system holding \S+\/keys /,
    );
    assertUnchanged(dir, before);
  });

  it('at the config write: IMPORT_NO_SPACE naming streamserver.conf; nothing changed', async () => {
    const dir = runDirOnTmpfs();
    const before = snapshot(dir);
    const err = await importFailing(dir, 'journal-written');
    assert.equal(err.code, 'IMPORT_NO_SPACE');
    assert.equal(err.exitCode, 1);
    assert.match(
      formatErrorLine(err),
      /config\/streamserver\.conf: no space left on the device \(ENOSPC\) .*fix: free space on the file system holding \S+\/config /,
    );
    assertUnchanged(dir, before);
  });

  it('with room again, the same import succeeds', async () => {
    const dir = runDirOnTmpfs();
    await importInProcess(dir, inputs(), pki.password);
    assert.ok(listing(dir).includes('keys/ca.crl'));
  });
});
