import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { isStreamfrontError } from '../../../src/errors/error.js';
import { assertSameBytes } from '../../../src/import/import-stage.js';
import { Keystore, keystorePathsIn } from '../../../src/kmc/index.js';
import { buildPki, importArgsOf, type Pki } from '../../fixtures/pki.js';
import { importInProcess, newRunDir } from '../../fixtures/import-in-process.js';
import { snapshot } from './snapshot.js';

const CLI = fileURLToPath(new URL('../../../src/cli/cert-import.js', import.meta.url));

describe('import stage', () => {
  let pki: Pki;
  const runDirs: string[] = [];
  const runDir = (): string => {
    const dir = newRunDir();
    runDirs.push(dir);
    return dir;
  };
  before(async () => {
    pki = await buildPki();
  });
  after(() => {
    for (const dir of runDirs) rmSync(dir, { recursive: true, force: true });
  });

  it('copies the files read-only into keys/, creates both keystores and records relative paths and the ciphertext', async () => {
    const dir = runDir();
    const before = readFileSync(join(dir, 'config', 'streamserver.conf'), 'utf8');
    await importInProcess(dir, { ...good(pki), crl: pki.crls.good }, pki.password);
    for (const name of ['ca.crt', 'server.crt', 'server.key', 'ca.crl'])
      assert.equal(statSync(join(dir, 'keys', name)).mode & 0o777, 0o400, name);
    for (const name of ['kmc.ks', 'StandbyKsf.ks'])
      assert.equal(statSync(join(dir, 'keys', name)).mode & 0o777, 0o600, name);
    assert.equal(statSync(join(dir, 'keys')).mode & 0o777, 0o700);
    assert.deepEqual(readFileSync(join(dir, 'keys', 'server.key')), readFileSync(pki.server.keyEncrypted));
    const after = readFileSync(join(dir, 'config', 'streamserver.conf'), 'utf8');
    const items = new Map(
      after
        .split('\n')
        .filter((l) => /^\w+=/.test(l))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    assert.equal(items.get('ca_crt'), 'keys/ca.crt');
    assert.equal(items.get('server_crt'), 'keys/server.crt');
    assert.equal(items.get('server_key'), 'keys/server.key');
    assert.equal(items.get('crl'), 'keys/ca.crl');
    const mm = items.get('server_key_mm') ?? '';
    assert.ok(!mm.includes(pki.password));
    const keystore = await Keystore.open(keystorePathsIn(join(dir, 'keys')), {});
    assert.equal(keystore.decrypt(mm, 'server_key_mm'), pki.password);
    // Every other line stays byte for byte, in order.
    const changed = /^(ca_crt|server_crt|server_key|crl|server_key_mm)=/;
    assert.deepEqual(
      after.split('\n').filter((l) => !changed.test(l)),
      before.split('\n').filter((l) => !changed.test(l)),
    );
  });

  type Inputs = { ca: string; serverCert: string; serverKey: string; crl?: string };
  const good = (p: Pki): Inputs => ({ ca: p.ca.cert, serverCert: p.server.cert, serverKey: p.server.keyEncrypted });
  const refusals: Array<[string, (p: Pki) => Inputs, string, string?]> = [
    ['a wrong password', good, 'PKI_KEY_BAD_PASSWORD', 'wrong password'],
    ['an unencrypted key', (p) => ({ ...good(p), serverKey: p.server.keyPlain }), 'PKI_KEY_NOT_ENCRYPTED'],
    [
      'a server certificate signed by another CA of the same name',
      (p) => ({ ...good(p), serverCert: p.bad.serverSameNameOtherCa }),
      'PKI_CERT_NOT_SIGNED_BY_CA',
    ],
    [
      'a key of another certificate',
      (p) => ({ ...good(p), serverKey: p.bad.mismatchedKeyEncrypted }),
      'PKI_KEY_MISMATCH',
    ],
    ['an RSA 1024 server certificate', (p) => ({ ...good(p), serverCert: p.bad.serverRsa1024 }), 'PKI_KEY_TOO_SMALL'],
    ['a sha1-signed server certificate', (p) => ({ ...good(p), serverCert: p.bad.serverSha1 }), 'PKI_WEAK_SIGNATURE'],
    [
      'a certificate without serverAuth',
      (p) => ({ ...good(p), serverCert: p.bad.serverClientAuthOnly }),
      'PKI_CERT_NO_SERVER_AUTH',
    ],
    [
      'a CA certificate that is not a CA',
      (p) => ({ ...good(p), ca: p.bad.caNotCa, serverCert: p.bad.serverForCaNotCa }),
      'PKI_CA_NOT_CA',
    ],
    ['a CRL that revokes the server', (p) => ({ ...good(p), crl: p.crls.listsServer }), 'PKI_CRL_REVOKES_SERVER'],
    ['a CRL signed by another CA', (p) => ({ ...good(p), crl: p.crls.otherCa }), 'PKI_CRL_WRONG_ISSUER'],
    ['an expired CRL', (p) => ({ ...good(p), crl: p.crls.expired }), 'PKI_CRL_EXPIRED'],
    ['a CRL from the future', (p) => ({ ...good(p), crl: p.crls.future }), 'PKI_CRL_NOT_YET_VALID'],
  ];
  for (const [what, inputs, code, password] of refusals) {
    it(`refuses ${what} with ${code} and changes nothing`, async () => {
      const dir = runDir();
      const before = snapshot(dir);
      await assert.rejects(importInProcess(dir, inputs(pki), password ?? pki.password), (err) => {
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
      importInProcess(dir, { ...good(pki), crl: pki.crls.good }, pki.password, (step) => {
        if (step !== 'linked:ca.crl') return;
        assert.ok(existsSync(join(dir, 'keys', 'server.key')), 'the copies are in place when the fault strikes');
        throw new Error('disk full (injected)');
      }),
      (err) => isStreamfrontError(err) && err.code === 'IMPORT_COMMIT_FAILED',
    );
    assert.equal(snapshot(dir), before);
  });

  it('refuses a second import over existing material, naming the files', async () => {
    const dir = runDir();
    await importInProcess(dir, good(pki), pki.password);
    const before = snapshot(dir);
    await assert.rejects(
      importInProcess(dir, good(pki), pki.password),
      (err) =>
        isStreamfrontError(err) && err.code === 'IMPORT_KEYS_DIR_OCCUPIED' && err.message.includes('keys/server.key'),
    );
    assert.equal(snapshot(dir), before);
  });

  it('as a command: exit 2 on a usage error, 1 with one line on a refusal, 0 on success; the password never printed', () => {
    const dir = runDir();
    const run = (args: string[], input: string) =>
      spawnSync(process.execPath, [CLI, ...args], { cwd: dir, input, encoding: 'utf8' });
    const usage = run(['-c', pki.ca.cert, '--bogus'], '');
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /certImport: error: .*bogus/);
    const refused = run(
      ['-c', pki.ca.cert, '-s', pki.server.cert, '-k', pki.server.keyEncrypted, '--password-stdin'],
      'not-the-password\n',
    );
    assert.equal(refused.status, 1);
    const errorLines = refused.stderr.split('\n').filter((l) => l.startsWith('certImport: error:'));
    assert.equal(errorLines.length, 1);
    assert.match(errorLines[0] ?? '', /server\.key: .*password.*\[PKI_KEY_BAD_PASSWORD\]$/);
    assert.ok(!refused.stderr.includes('not-the-password') && !refused.stdout.includes('not-the-password'));
    const ok = run([...importArgsOf(pki), '--password-stdin'], `${pki.password}\n`);
    assert.equal(ok.status, 0, ok.stderr);
    assert.ok(!ok.stderr.includes(pki.password) && !ok.stdout.includes(pki.password));
    const audit = ok.stderr.split('\n').find((l) => l.includes('"event":"certificate-import"'));
    assert.ok(audit !== undefined);
    const record = JSON.parse(audit) as { outcome: string; files: Array<{ sha256: string }> };
    assert.equal(record.outcome, 'imported');
    assert.equal(record.files.length, 4);
  });
});

describe('the staged copies', () => {
  const file = (role: 'ca' | 'server-cert' | 'server-key' | 'crl', text: string) => ({
    role,
    label: role,
    bytes: Buffer.from(text),
  });
  const set = (crl: string) => ({
    ca: file('ca', 'ca'),
    serverCert: file('server-cert', 'cert'),
    serverKey: file('server-key', 'key'),
    crl: file('crl', crl),
  });

  // The import reuses the verdict on the checked files for the staged copies (no second parse):
  // that is only sound when the staged bytes are the checked bytes.
  it('must be the bytes that were checked: a copy that differs stops the import, naming it', () => {
    assert.doesNotThrow(() => assertSameBytes(set('crl'), set('crl')));
    assert.throws(() => assertSameBytes(set('crl'), set('crl, changed on the way')), /staged copy ca\.crl differs/);
  });
});
