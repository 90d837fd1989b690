// CRL parsing and rules: issuer and signature, algorithm, dates, the server rule, multi-PEM,
// and the speed of a 100,000-entry CRL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { buildPki, writeLargeCrl } from '../../fixtures/pki.js';
import {
  normalizeSerial,
  parseCrl,
  validateCertificates,
  validateCrl,
  PkiError,
  type CertSummary,
} from '../../../src/pki/index.js';

const read = (p: string): Buffer => readFileSync(p);
async function ca(): Promise<{ pki: Awaited<ReturnType<typeof buildPki>>; ca: CertSummary }> {
  const pki = await buildPki();
  const v = validateCertificates({ ca: read(pki.ca.cert), serverCert: read(pki.server.cert), now: new Date() });
  return { pki, ca: v.ca as CertSummary };
}
const codesOf = (pki: Awaited<ReturnType<typeof buildPki>>, crl: string): string[] =>
  validateCertificates({ ca: read(pki.ca.cert), serverCert: read(pki.server.cert), crl: read(crl), now: new Date() })
    .findings.filter((f) => f.severity === 'error')
    .map((f) => f.code);

test('the openssl-made CRL parses: issuer, dates, the revoked serial, PEM and DER alike', async () => {
  const { pki, ca: caS } = await ca();
  for (const file of [pki.crls.good, pki.crls.goodDer]) {
    const crl = parseCrl(read(file));
    assert.equal(crl.issuer, caS.subject);
    assert.ok(crl.revokedSerials.has(pki.clients.revoked.serial));
    assert.equal(crl.revokedSerials.has(pki.clients.good.serial), false);
    assert.equal(crl.signatureAlgorithm, 'sha256WithRSAEncryption');
    assert.ok(crl.nextUpdate && crl.nextUpdate > new Date());
    assert.equal(crl.parts.length, 1);
    assert.deepEqual(validateCrl(crl, caS, new Date()), []);
  }
});

test('a PEM file with two CRLs is split and both revocation lists are used', async () => {
  const { pki, ca: caS } = await ca();
  const crl = parseCrl(read(pki.crls.multi));
  assert.equal(crl.parts.length, 2);
  assert.ok(crl.revokedSerials.has(pki.clients.revoked.serial));
  assert.ok(crl.revokedSerials.has(pki.clients.expired.serial));
  assert.deepEqual(validateCrl(crl, caS, new Date()), []);
});

test('each CRL rule refuses with its own code', async () => {
  const { pki } = await ca();
  assert.deepEqual(codesOf(pki, pki.crls.expired), ['PKI_CRL_EXPIRED']);
  assert.deepEqual(codesOf(pki, pki.crls.future), ['PKI_CRL_NOT_YET_VALID']);
  assert.deepEqual(codesOf(pki, pki.crls.otherCa), ['PKI_CRL_WRONG_ISSUER']);
  assert.deepEqual(codesOf(pki, pki.crls.listsServer), ['PKI_CRL_REVOKES_SERVER']);
  assert.deepEqual(codesOf(pki, pki.crls.sha1), ['PKI_CRL_WEAK_SIGNATURE']);
});

test('a CRL with the CA name but a broken signature is refused', async () => {
  const { pki, ca: caS } = await ca();
  const der = Buffer.from(read(pki.crls.goodDer));
  der[der.length - 5] = (der[der.length - 5] as number) ^ 0xff;
  assert.deepEqual(
    validateCrl(parseCrl(der), caS, new Date()).map((f) => f.code),
    ['PKI_CRL_BAD_SIGNATURE'],
  );
});

test('garbage CRL bytes throw a PkiError with a code', () => {
  assert.throws(
    () => parseCrl(Buffer.from([0x30, 0x05, 1])),
    (e: unknown) => e instanceof PkiError && e.code === 'PKI_CRL_UNPARSABLE',
  );
  assert.throws(
    () => parseCrl(Buffer.from('-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n')),
    (e: unknown) => e instanceof PkiError && e.code === 'PKI_NOT_PEM_OR_DER',
  );
});

test('a 100,000-entry CRL parses in well under 300 ms and verifies', async () => {
  const { pki, ca: caS } = await ca();
  const { path, serials } = await writeLargeCrl(pki, 100_000);
  const bytes = read(path);
  parseCrl(bytes); // warm-up
  // Best of three: a parse that is really slow is slow every time; a busy CI neighbour is not.
  let ms = Infinity;
  let crl = parseCrl(bytes);
  for (let i = 0; i < 3; i++) {
    const t = process.hrtime.bigint();
    crl = parseCrl(bytes);
    ms = Math.min(ms, Number(process.hrtime.bigint() - t) / 1e6);
  }
  assert.ok(ms < 300, `took ${ms} ms`);
  assert.equal(crl.revokedSerials.size, 100_000);
  assert.ok(crl.revokedSerials.has(normalizeSerial(serials[777] as string)));
  assert.deepEqual(validateCrl(crl, caS, new Date()), []);
});

test('normalizeSerial agrees with the serial Node reports for a TLS peer certificate', async () => {
  const pki = await buildPki();
  assert.equal(normalizeSerial('00:0a:Bc'), 'ABC');
  assert.equal(normalizeSerial('0000'), '0');
  const server = createServer({
    cert: read(pki.server.cert),
    key: read(pki.server.keyPlain),
    ca: read(pki.ca.cert),
    requestCert: true,
    rejectUnauthorized: false,
  });
  const seen = new Promise<string>((resolve) =>
    server.on('secureConnection', (s: TLSSocket) => {
      resolve(s.getPeerCertificate().serialNumber);
      s.end();
    }),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const client = connect({
    host: '127.0.0.1',
    port,
    cert: read(pki.clients.good.cert),
    key: read(pki.clients.good.key),
    ca: read(pki.ca.cert),
    servername: 'localhost',
  });
  client.on('error', () => undefined);
  const peerSerial = await seen;
  client.destroy();
  await new Promise<void>((r) => server.close(() => r()));
  const fromCrlSide = parseCrl(read(pki.crls.good)).revokedSerials;
  assert.equal(normalizeSerial(peerSerial), pki.clients.good.serial);
  assert.equal(fromCrlSide.has(pki.clients.revoked.serial), true);
});
