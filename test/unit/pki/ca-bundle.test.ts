// The CA file as a bundle: every certificate judged as a CA and named by its position, the
// chain rule (no dangling intermediate), the server's issuer found anywhere in the bundle, and
// a CRL per CA matched by issuer, with a warning for a CA the CRL file does not cover.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildBundlePki, buildPki } from '../../fixtures/pki.js';
import { validateCertificates, type CertificateVerdict, type Finding } from '../../../src/pki/index.js';
import { parseCaBundle, validateCaBundle } from '../../../src/pki/ca-bundle.js';
import { revokedSerialsOf } from '../../../src/pki/crl.js';
import { issuerKeyOfCertificate } from '../../../src/pki/issuer-key.js';

const read = (p: string): Buffer => readFileSync(p);
function run(ca: string, server: string, crl?: string): CertificateVerdict {
  return validateCertificates({
    ca: read(ca),
    serverCert: read(server),
    crl: crl === undefined ? undefined : read(crl),
    now: new Date(),
  });
}
const codes = (f: Finding[]): string[] => f.map((x) => `${x.severity}:${x.code}`);
const errors = (f: Finding[]): Finding[] => f.filter((x) => x.severity === 'error');
const derOf = (path: string): Buffer =>
  Buffer.from(readFileSync(path, 'utf8').replace(/-----[^-]+-----|\s/g, ''), 'base64');

test('a bundle of a root and two intermediates passes, in either order, and keeps every certificate', async () => {
  const pki = await buildPki();
  const b = await buildBundlePki(pki);
  for (const file of [b.bundle, b.bundleReversed]) {
    const v = run(file, pki.server.cert);
    // The fixture server key is RSA 2048: the SDK's advice is the only finding.
    assert.deepEqual(codes(v.findings), ['warning:PKI_KEY_BELOW_ADVICE'], file);
    assert.equal(v.caBundle?.length, 3);
  }
  assert.equal(run(b.bundle, pki.server.cert).ca?.subject, 'CN=streamfront test CA, O=streamfront test');
  // The first certificate of the file is the one reported as "the CA", as with a single CA.
  assert.equal(run(b.bundleReversed, pki.server.cert).ca?.subject, 'CN=revoked intermediate, O=streamfront test');
});

test('a server certificate issued by an intermediate verifies against its issuer in the bundle', async () => {
  const pki = await buildPki();
  const b = await buildBundlePki(pki);
  assert.deepEqual(errors(run(b.bundleReversed, b.serverByIntermediate).findings), []);
  // The root alone is not its issuer: refused with the single-CA wording of today.
  const alone = errors(run(b.root, b.serverByIntermediate).findings);
  assert.deepEqual(codes(alone), ['error:PKI_CERT_NOT_SIGNED_BY_CA']);
  assert.match(alone[0]?.message ?? '', /is not signed by the CA 'CN=streamfront test CA, O=streamfront test'/);
  // A bundle without its issuer says so.
  const withoutIssuer = join(pki.dir, 'bundle', 'root-and-revoked.crt');
  writeFileSync(withoutIssuer, readFileSync(b.root, 'utf8') + readFileSync(b.revokedIntermediate, 'utf8'));
  const missing = errors(run(withoutIssuer, b.serverByIntermediate).findings);
  assert.deepEqual(codes(missing), ['error:PKI_CERT_NOT_SIGNED_BY_CA']);
  assert.match(missing[0]?.message ?? '', /is not signed by any of the 2 CA certificates of the bundle/);
});

test('an intermediate whose issuer is not in the bundle is refused, naming which certificate', async () => {
  const pki = await buildPki();
  const b = await buildBundlePki(pki);
  const found = errors(run(b.danglingBundle, pki.server.cert).findings);
  assert.deepEqual(codes(found), ['error:PKI_CA_BUNDLE_DANGLING']);
  const message = found[0]?.message ?? '';
  assert.match(message, /^certificate 2 of 2 \(subject CN=stray intermediate, O=elsewhere\) is not self-signed/);
  assert.match(message, /its issuer 'CN=another CA, O=elsewhere' is not in the bundle/);
  assert.equal(found[0]?.role, 'ca');
});

test('a certificate that is not a CA in the bundle is refused with the CA rule, naming its position', async () => {
  const pki = await buildPki();
  const b = await buildBundlePki(pki);
  const found = errors(run(b.bundleWithLeaf, pki.server.cert).findings);
  assert.deepEqual(codes(found), ['error:PKI_CA_NOT_CA', 'error:PKI_CA_NO_KEY_CERT_SIGN']);
  assert.match(found[0]?.message ?? '', /^certificate 3 of 3 \(subject CN=bundle-client-good, O=streamfront test\): /);
});

test('a block of the bundle that does not parse is named by its position', async () => {
  const pki = await buildPki();
  const path = join(pki.dir, 'bundle', 'root-and-garbage.crt');
  const garbage = Buffer.alloc(300, 7).toString('base64');
  writeFileSync(
    path,
    `${readFileSync(pki.ca.cert, 'utf8')}-----BEGIN CERTIFICATE-----\n${garbage}\n-----END CERTIFICATE-----\n`,
  );
  const found = errors(run(path, pki.server.cert).findings);
  assert.deepEqual(codes(found), ['error:PKI_CERT_UNPARSABLE']);
  assert.match(found[0]?.message ?? '', /^certificate 2 of 2: the CA certificate is not a valid X\.509 certificate/);
});

test('a CRL file with the root and intermediate CRLs: one set per issuer, and a warning for the CA without one', async () => {
  const pki = await buildPki();
  const b = await buildBundlePki(pki);
  const v = run(b.bundle, pki.server.cert, b.crls.full);
  assert.deepEqual(errors(v.findings), []);
  const missing = v.findings.filter((f) => f.code === 'PKI_CRL_MISSING_FOR_CA');
  assert.equal(missing.length, 1);
  assert.equal(missing[0]?.severity, 'warning');
  assert.equal(missing[0]?.role, 'crl');
  assert.match(
    missing[0]?.message ?? '',
    /no CRL of the CA 'CN=revoked intermediate, O=streamfront test' \(certificate 3 of 3\)/,
  );
  const crl = v.crl;
  assert.ok(crl !== undefined);
  assert.equal(crl.otherIssuers.length, 1);
  const ofRoot = revokedSerialsOf(crl, issuerKeyOfCertificate(derOf(b.intermediate)));
  const ofIntermediate = revokedSerialsOf(crl, issuerKeyOfCertificate(derOf(b.clients.good.cert)));
  assert.ok(ofRoot?.has(new (await import('node:crypto')).X509Certificate(read(b.revokedIntermediate)).serialNumber));
  assert.ok(ofIntermediate?.has(b.clients.revoked.serial));
  // Keyed by issuer: the root's set does not list the intermediate's client, nor the reverse.
  assert.equal(ofRoot?.has(b.clients.revoked.serial), false);
  assert.equal(ofIntermediate?.size, 1);
});

test('a server certificate under an intermediate that the root CRL revokes is refused, naming both CAs', async () => {
  const pki = await buildPki();
  const b = await buildBundlePki(pki);
  const found = errors(run(b.bundle, b.serverByRevokedIntermediate, b.crls.full).findings);
  assert.deepEqual(codes(found), ['error:PKI_CRL_REVOKES_SERVER_CA']);
  assert.equal(found[0]?.role, 'crl');
  assert.match(
    found[0]?.message ?? '',
    /^the CRL of 'CN=streamfront test CA, O=streamfront test' revokes the CA 'CN=revoked intermediate, O=streamfront test' \(serial [0-9A-F]+\) that the server certificate 'CN=localhost, O=streamfront test' chains through$/,
  );
  // Without the root's CRL nothing says the intermediate is revoked, and a server certificate of
  // the intermediate that is still good passes with the full CRL.
  assert.deepEqual(errors(run(b.bundle, b.serverByRevokedIntermediate, b.crls.intermediateOnly).findings), []);
  assert.deepEqual(errors(run(b.bundle, b.serverByRevokedIntermediate).findings), []);
  assert.deepEqual(errors(run(b.bundle, b.serverByIntermediate, b.crls.full).findings), []);
});

test('with only the intermediate CRL, the root and the other intermediate are both named as uncovered', async () => {
  const pki = await buildPki();
  const b = await buildBundlePki(pki);
  const v = run(b.bundle, pki.server.cert, b.crls.intermediateOnly);
  assert.deepEqual(errors(v.findings), []);
  const named = v.findings
    .filter((f) => f.code === 'PKI_CRL_MISSING_FOR_CA')
    .map((f) => /\(certificate \d of 3\)/.exec(f.message)?.[0]);
  assert.deepEqual(named, ['(certificate 1 of 3)', '(certificate 3 of 3)']);
});

test('a CRL of a CA outside the bundle is refused; a single CA keeps its wording and gets no coverage warning', async () => {
  const pki = await buildPki();
  const b = await buildBundlePki(pki);
  const wrong = errors(run(b.bundle, pki.server.cert, pki.crls.otherCa).findings);
  assert.deepEqual(codes(wrong), ['error:PKI_CRL_WRONG_ISSUER']);
  assert.match(wrong[0]?.message ?? '', /is not any of the 3 CA certificates of the bundle/);
  const single = errors(run(pki.ca.cert, pki.server.cert, pki.crls.otherCa).findings);
  assert.match(single[0]?.message ?? '', /is not the CA 'CN=streamfront test CA, O=streamfront test'$/);
  // One CA and the intermediate's CRL: refused as before, not warned about.
  assert.deepEqual(
    codes(run(pki.ca.cert, pki.server.cert, b.crls.intermediateOnly).findings).filter((c) => c.startsWith('error')),
    ['error:PKI_CRL_WRONG_ISSUER'],
  );
  assert.deepEqual(
    run(pki.ca.cert, pki.server.cert, pki.crls.good).findings.filter((f) => f.code === 'PKI_CRL_MISSING_FOR_CA'),
    [],
  );
});

test('two CAs that issued each other, with no root, are refused: their chain never reaches a root', async () => {
  const pki = await buildPki();
  const dir = join(pki.dir, 'bundle-loop');
  mkdirSync(dir, { recursive: true });
  const ossl = (args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  };
  writeFileSync(
    join(dir, 'ext.cnf'),
    '[ext]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n',
  );
  for (const name of ['a', 'b']) {
    const key = generateKeyPairSync('rsa', { modulusLength: 3072 }).privateKey;
    writeFileSync(join(dir, `${name}.key`), key.export({ type: 'pkcs8', format: 'pem' }));
    ossl(['req', '-new', '-key', `${name}.key`, '-subj', `/CN=loop ${name}`, '-out', `${name}.csr`]);
    // A throw-away self-signed copy, only to sign the other one with.
    ossl([
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-key',
      `${name}.key`,
      '-days',
      '30',
      '-sha256',
      '-out',
      `${name}-self.crt`,
      '-extfile',
      'ext.cnf',
      '-extensions',
      'ext',
    ]);
  }
  const crossSign = (name: string, by: string): void =>
    ossl([
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${by}-self.crt`,
      '-CAkey',
      `${by}.key`,
      '-set_serial',
      '7',
      '-days',
      '30',
      '-sha256',
      '-extfile',
      'ext.cnf',
      '-extensions',
      'ext',
      '-out',
      `${name}.crt`,
    ]);
  crossSign('a', 'b');
  crossSign('b', 'a');
  const bundle = parseCaBundle(
    Buffer.from(readFileSync(join(dir, 'a.crt'), 'utf8') + readFileSync(join(dir, 'b.crt'), 'utf8')),
  );
  assert.ok(Array.isArray(bundle));
  const found = errors(validateCaBundle(bundle, new Date()));
  assert.deepEqual(codes(found), ['error:PKI_CA_BUNDLE_DANGLING', 'error:PKI_CA_BUNDLE_DANGLING']);
  assert.match(found[0]?.message ?? '', /^certificate 1 of 2 \(subject CN=loop a\) .*reach no self-signed root/);
});
