import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { isStreamfrontError } from '../../../src/errors/error.js';
import { importMaterial } from '../../../src/import/import-stage.js';
import { Keystore, keystorePathsIn } from '../../../src/kmc/index.js';
import { KEY_PASSWORD, buildTestPki, type TestPki } from '../../fixtures/import-pki.js';
import { projectRoot } from '../../fixtures/project-root.js';

const CLI = fileURLToPath(new URL('../../../src/cli/cert-import.js', import.meta.url));

function newRunDir(): string {
  const runDir = mkdtempSync(join(tmpdir(), 'sf-run-'));
  mkdirSync(join(runDir, 'config'));
  copyFileSync(join(projectRoot, 'config', 'streamserver.conf'), join(runDir, 'config', 'streamserver.conf'));
  return runDir;
}

/** A fingerprint of everything the import may touch: keys/ (names, modes, bytes) and the config. */
function snapshot(runDir: string): string {
  const hash = createHash('sha256');
  const keys = join(runDir, 'keys');
  if (existsSync(keys)) {
    hash.update(`keys mode ${statSync(keys).mode}`);
    for (const name of readdirSync(keys).sort()) {
      hash.update(`${name} ${statSync(join(keys, name)).mode}`);
      hash.update(readFileSync(join(keys, name)));
    }
  } else hash.update('no keys');
  hash.update(readFileSync(join(runDir, 'config', 'streamserver.conf')));
  return hash.digest('hex');
}

async function runImport(runDir: string, inputs: { ca: string; serverCert: string; serverKey: string; crl?: string }, password = KEY_PASSWORD, afterCopies?: () => void) {
  const stdin = new PassThrough();
  stdin.end(`${password}\n`);
  return importMaterial({
    runDir,
    configPath: join(runDir, 'config', 'streamserver.conf'),
    inputs,
    passwordSource: { kind: 'stdin' },
    passwordIo: { stdin, prompt: new PassThrough() },
    env: {},
    now: new Date(),
    progress: () => undefined,
    auditDestination: new PassThrough(),
    afterCopies,
  });
}

describe('import stage', () => {
  let pki: TestPki;
  const runDirs: string[] = [];
  const runDir = (): string => {
    const dir = newRunDir();
    runDirs.push(dir);
    return dir;
  };
  before(() => {
    pki = buildTestPki();
  });
  after(() => {
    pki.cleanup();
    for (const dir of runDirs) rmSync(dir, { recursive: true, force: true });
  });

  it('copies the files read-only into keys/, creates both keystores and records relative paths and the ciphertext', async () => {
    const dir = runDir();
    const before = readFileSync(join(dir, 'config', 'streamserver.conf'), 'utf8');
    await runImport(dir, { ca: pki.caCrt, serverCert: pki.serverCrt, serverKey: pki.serverKey, crl: pki.crl });
    for (const name of ['ca.crt', 'server.crt', 'server.key', 'ca.crl']) assert.equal(statSync(join(dir, 'keys', name)).mode & 0o777, 0o400, name);
    for (const name of ['kmc.ks', 'StandbyKsf.ks']) assert.equal(statSync(join(dir, 'keys', name)).mode & 0o777, 0o600, name);
    assert.equal(statSync(join(dir, 'keys')).mode & 0o777, 0o700);
    assert.deepEqual(readFileSync(join(dir, 'keys', 'server.key')), readFileSync(pki.serverKey));
    const after = readFileSync(join(dir, 'config', 'streamserver.conf'), 'utf8');
    const items = new Map(after.split('\n').filter((l) => /^\w+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    assert.equal(items.get('ca_crt'), 'keys/ca.crt');
    assert.equal(items.get('server_crt'), 'keys/server.crt');
    assert.equal(items.get('server_key'), 'keys/server.key');
    assert.equal(items.get('crl'), 'keys/ca.crl');
    const mm = items.get('server_key_mm') ?? '';
    assert.ok(!mm.includes(KEY_PASSWORD));
    const keystore = await Keystore.open(keystorePathsIn(join(dir, 'keys')), {});
    assert.equal(keystore.decrypt(mm, 'server_key_mm'), KEY_PASSWORD);
    // Every other line stays byte for byte, in order.
    const changed = /^(ca_crt|server_crt|server_key|crl|server_key_mm)=/;
    assert.deepEqual(after.split('\n').filter((l) => !changed.test(l)), before.split('\n').filter((l) => !changed.test(l)));
  });

  const refusals: Array<[string, (p: TestPki) => { ca: string; serverCert: string; serverKey: string; crl?: string }, string, string?]> = [
    ['a wrong password', (p) => ({ ca: p.caCrt, serverCert: p.serverCrt, serverKey: p.serverKey }), 'PKI_KEY_BAD_PASSWORD', 'wrong password'],
    ['an unencrypted key', (p) => ({ ca: p.caCrt, serverCert: p.serverCrt, serverKey: p.serverKeyPlain }), 'PKI_KEY_NOT_ENCRYPTED'],
    ['a server certificate signed by another CA of the same name', (p) => {
      const other = p.issueServer('server-other', { ca: 'other' });
      return { ca: p.caCrt, serverCert: other.crt, serverKey: other.key };
    }, 'PKI_CERT_NOT_SIGNED_BY_CA'],
    ['a key of another certificate', (p) => ({ ca: p.caCrt, serverCert: p.issueServer('server-two').crt, serverKey: p.serverKey }), 'PKI_KEY_MISMATCH'],
    ['an RSA 1024 server certificate', (p) => {
      const small = p.issueServer('server-1024', { bits: 1024 });
      return { ca: p.caCrt, serverCert: small.crt, serverKey: small.key };
    }, 'PKI_KEY_TOO_SMALL'],
    ['a sha1-signed server certificate', (p) => {
      const weak = p.issueServer('server-sha1', { md: 'sha1' });
      return { ca: p.caCrt, serverCert: weak.crt, serverKey: weak.key };
    }, 'PKI_WEAK_SIGNATURE'],
    ['a certificate without serverAuth', (p) => {
      const client = p.issueServer('client-only', { ext: 'v3_client_only' });
      return { ca: p.caCrt, serverCert: client.crt, serverKey: client.key };
    }, 'PKI_CERT_NO_SERVER_AUTH'],
    ['a CA certificate that is not a CA', (p) => ({ ca: p.serverCrt, serverCert: p.serverCrt, serverKey: p.serverKey }), 'PKI_CA_NOT_CA'],
    ['a CRL that revokes the server', (p) => ({ ca: p.caCrt, serverCert: p.serverCrt, serverKey: p.serverKey, crl: p.makeCrl('revokes-server', [p.serverCrt]) }), 'PKI_CRL_REVOKES_SERVER'],
    ['a CRL from another CA', (p) => ({ ca: p.caCrt, serverCert: p.serverCrt, serverKey: p.serverKey, crl: p.makeCrl('other-ca', [], { ca: 'other' }) }), 'PKI_CRL_BAD_SIGNATURE'],
    ['an expired CRL', (p) => ({ ca: p.caCrt, serverCert: p.serverCrt, serverKey: p.serverKey, crl: p.makeCrl('expired', [], { lastUpdate: '20200101000000Z', nextUpdate: '20200201000000Z' }) }), 'PKI_CRL_EXPIRED'],
    ['a CRL from the future', (p) => ({ ca: p.caCrt, serverCert: p.serverCrt, serverKey: p.serverKey, crl: p.makeCrl('future', [], { lastUpdate: '20991201000000Z', nextUpdate: '20991231000000Z' }) }), 'PKI_CRL_NOT_YET_VALID'],
  ];
  for (const [what, inputs, code, password] of refusals) {
    it(`refuses ${what} with ${code} and changes nothing`, async () => {
      const dir = runDir();
      const before = snapshot(dir);
      await assert.rejects(runImport(dir, inputs(pki), password), (err) => {
        assert.ok(isStreamfrontError(err), String(err));
        assert.equal(err.code, code);
        assert.ok(err.hint !== undefined && err.hint.length > 0);
        return true;
      });
      assert.equal(snapshot(dir), before);
    });
  }

  it('rolls everything back when a failure strikes after the copies landed', async () => {
    const dir = runDir();
    const before = snapshot(dir);
    await assert.rejects(
      runImport(dir, { ca: pki.caCrt, serverCert: pki.serverCrt, serverKey: pki.serverKey, crl: pki.crl }, KEY_PASSWORD, () => {
        assert.ok(existsSync(join(dir, 'keys', 'server.key')), 'the copies are in place when the fault strikes');
        throw new Error('disk full (injected)');
      }),
      (err) => isStreamfrontError(err) && err.code === 'IMPORT_COMMIT_FAILED',
    );
    assert.equal(snapshot(dir), before);
  });

  it('refuses a second import over existing material, naming the files', async () => {
    const dir = runDir();
    await runImport(dir, { ca: pki.caCrt, serverCert: pki.serverCrt, serverKey: pki.serverKey });
    const before = snapshot(dir);
    await assert.rejects(runImport(dir, { ca: pki.caCrt, serverCert: pki.serverCrt, serverKey: pki.serverKey }), (err) => isStreamfrontError(err) && err.code === 'IMPORT_KEYS_DIR_OCCUPIED' && err.message.includes('keys/server.key'));
    assert.equal(snapshot(dir), before);
  });

  it('as a command: exit 2 on a usage error, 1 with one line on a refusal, 0 on success; the password never printed', () => {
    const dir = runDir();
    const run = (args: string[], input: string) => spawnSync(process.execPath, [CLI, ...args], { cwd: dir, input, encoding: 'utf8' });
    const usage = run(['-c', pki.caCrt, '--bogus'], '');
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /certImport: error: .*bogus/);
    const refused = run(['-c', pki.caCrt, '-s', pki.serverCrt, '-k', pki.serverKey, '--password-stdin'], 'not-the-password\n');
    assert.equal(refused.status, 1);
    const errorLines = refused.stderr.split('\n').filter((l) => l.startsWith('certImport: error:'));
    assert.equal(errorLines.length, 1);
    assert.match(errorLines[0] ?? '', /server\.key: .*password.*\[PKI_KEY_BAD_PASSWORD\]$/);
    assert.ok(!refused.stderr.includes('not-the-password') && !refused.stdout.includes('not-the-password'));
    const ok = run(['-c', pki.caCrt, '-s', pki.serverCrt, '-k', pki.serverKey, '-r', pki.crl, '--password-stdin'], `${KEY_PASSWORD}\n`);
    assert.equal(ok.status, 0, ok.stderr);
    assert.ok(!ok.stderr.includes(KEY_PASSWORD) && !ok.stdout.includes(KEY_PASSWORD));
    const audit = ok.stderr.split('\n').find((l) => l.includes('"event":"certificate-import"'));
    assert.ok(audit !== undefined);
    const record = JSON.parse(audit) as { outcome: string; files: Array<{ sha256: string }> };
    assert.equal(record.outcome, 'imported');
    assert.equal(record.files.length, 4);
  });
});
