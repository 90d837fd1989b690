// Server key rules: encrypted forms accepted, unencrypted refused with the openssl command,
// wrong password its own code, mismatch caught; the decrypted key is PKCS#8 PEM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { buildPki } from '../../fixtures/pki.js';
import { inspectServerKey, validateCertificates, validateServerKey, type CertSummary } from '../../../src/pki/index.js';

async function setup(): Promise<{ pki: Awaited<ReturnType<typeof buildPki>>; cert: CertSummary }> {
  const pki = await buildPki();
  const v = validateCertificates({
    ca: readFileSync(pki.ca.cert),
    serverCert: readFileSync(pki.server.cert),
    now: new Date(),
  });
  return { pki, cert: v.serverCert as CertSummary };
}

test('encrypted PKCS#8 and traditional DEK-Info keys decrypt and match', async () => {
  const { pki, cert } = await setup();
  for (const k of [pki.server.keyEncrypted, pki.server.keyTraditional]) {
    assert.deepEqual(inspectServerKey(readFileSync(k)), []);
    const r = validateServerKey(readFileSync(k), pki.password, cert);
    assert.deepEqual(r.findings, []);
    assert.match(r.keyPem ?? '', /^-----BEGIN PRIVATE KEY-----/);
  }
});

test('an unencrypted key is refused with the command that encrypts it', async () => {
  const { pki, cert } = await setup();
  const [f] = inspectServerKey(readFileSync(pki.server.keyPlain));
  assert.equal(f?.code, 'PKI_KEY_NOT_ENCRYPTED');
  assert.match(f?.hint ?? '', /openssl pkcs8 -topk8 -v2 aes-256-cbc -in server\.key -out server\.key\.enc/);
  assert.equal(validateServerKey(readFileSync(pki.server.keyPlain), 'x', cert).keyPem, undefined);
});

test('a wrong password is its own error and never echoes the password', async () => {
  const { pki, cert } = await setup();
  const r = validateServerKey(readFileSync(pki.server.keyEncrypted), 'not-the-password-42', cert);
  assert.equal(r.findings[0]?.code, 'PKI_KEY_BAD_PASSWORD');
  assert.equal(r.keyPem, undefined);
  assert.doesNotMatch(JSON.stringify(r.findings), /not-the-password-42/);
});

test('a key that does not match the certificate is refused', async () => {
  const { pki, cert } = await setup();
  const r = validateServerKey(readFileSync(pki.bad.mismatchedKeyEncrypted), pki.password, cert);
  assert.equal(r.findings[0]?.code, 'PKI_KEY_MISMATCH');
  assert.match(r.findings[0]?.message ?? '', new RegExp(cert.serial));
});

test('a file that is not a PEM key is refused as unparsable', () => {
  assert.equal(inspectServerKey(Buffer.from([0x30, 0x82, 1, 2]))[0]?.code, 'PKI_KEY_UNPARSABLE');
});

test('an encrypted key that is not RSA is refused as such', async () => {
  const { pki, cert } = await setup();
  const { createPrivateKey } = await import('node:crypto');
  const ec = createPrivateKey(readFileSync(pki.clients.goodEc.key)).export({
    type: 'pkcs8',
    format: 'pem',
    cipher: 'aes-256-cbc',
    passphrase: pki.password,
  });
  const r = validateServerKey(Buffer.from(ec), pki.password, cert);
  assert.equal(r.findings[0]?.code, 'PKI_KEY_NOT_RSA');
  assert.match(r.findings[0]?.message ?? '', /EC, not RSA/);
});

test('a key cut off before its END line is PKI_KEY_UNPARSABLE, not a wrong password (found by the bad-input corpus)', async () => {
  const { pki, cert } = await setup();
  for (const k of [pki.server.keyEncrypted, pki.server.keyTraditional, pki.server.keyPlain]) {
    const text = readFileSync(k, 'utf8');
    const cut = Buffer.from(text.slice(0, Math.floor(text.length / 2)));
    const r = validateServerKey(cut, pki.password, cert);
    assert.equal(r.findings[0]?.code, 'PKI_KEY_UNPARSABLE', k);
    assert.match(r.findings[0]?.message ?? '', /cut off/);
  }
});
