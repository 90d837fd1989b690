// RFC 5280 semantics of CRL and entry extensions: what makes a CRL something other than the
// complete list of its CA's revocations is refused with its own code; certificateHold is
// enforced while listed; revocation is keyed by issuer and serial.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { buildCustomCrl, buildPki, crlExtension, der, type Pki } from '../../fixtures/pki.js';
import { parseCrl, validateCertificates } from '../../../src/pki/index.js';
import { buildRevocationState, isRevoked } from '../../../src/tls/revocation.js';
import { parsePeerIdentity } from '../../../src/tls/peer.js';

const read = (p: string): Buffer => readFileSync(p);
const errorsOf = (pki: Pki, crl: string): Array<{ code: string; message: string }> =>
  validateCertificates({ ca: read(pki.ca.cert), serverCert: read(pki.server.cert), crl: read(crl), now: new Date() })
    .findings.filter((f) => f.severity === 'error')
    .map((f) => ({ code: f.code, message: f.message }));
const codesOf = (pki: Pki, crl: string): string[] => errorsOf(pki, crl).map((e) => e.code);

const IDP = '2.5.29.28';
const idp = (...fields: Buffer[]): Buffer => crlExtension(IDP, true, der.tlv(0x30, ...fields));
const TRUE_FIELD = (tag: number): Buffer => Buffer.from([tag, 0x01, 0xff]);

test('a delta CRL is refused as PKI_CRL_DELTA, never enforced as if complete', async () => {
  const pki = await buildPki();
  const delta = buildCustomCrl(pki, {
    entries: [{ cert: pki.clients.revoked.cert }],
    crlExtensions: [crlExtension('2.5.29.27', true, der.tlv(0x02, Buffer.from([0x01])))],
  });
  const errors = errorsOf(pki, delta);
  assert.deepEqual(
    errors.map((e) => e.code),
    ['PKI_CRL_DELTA'],
  );
  assert.match(errors[0]?.message ?? '', /delta CRL \(deltaCRLIndicator/);
});

test('an issuingDistributionPoint that narrows the scope is refused, naming the field', async () => {
  const pki = await buildPki();
  const entries = [{ cert: pki.clients.revoked.cert }];
  for (const [tag, name] of [
    [0x81, 'onlyContainsUserCerts'],
    [0x82, 'onlyContainsCACerts'],
    [0x85, 'onlyContainsAttributeCerts'],
  ] as const) {
    const errors = errorsOf(pki, buildCustomCrl(pki, { entries, crlExtensions: [idp(TRUE_FIELD(tag))] }));
    assert.deepEqual(
      errors.map((e) => e.code),
      ['PKI_CRL_PARTIAL_SCOPE'],
      name,
    );
    assert.ok(errors[0]?.message.includes(name), errors[0]?.message);
  }
  const someReasons = buildCustomCrl(pki, { entries, crlExtensions: [idp(Buffer.from([0x83, 0x02, 0x07, 0x80]))] });
  assert.deepEqual(codesOf(pki, someReasons), ['PKI_CRL_PARTIAL_SCOPE']);
  const indirect = buildCustomCrl(pki, { entries, crlExtensions: [idp(TRUE_FIELD(0x84))] });
  assert.deepEqual(codesOf(pki, indirect), ['PKI_CRL_INDIRECT']);
  // A distribution point name alone does not narrow what the CA's CRL covers.
  const uri = Buffer.from('http://crl.example/ca.crl', 'latin1');
  const named = buildCustomCrl(pki, {
    entries,
    crlExtensions: [idp(der.tlv(0xa0, der.tlv(0xa0, der.tlv(0x86, uri))))],
  });
  assert.deepEqual(codesOf(pki, named), []);
});

test('an entry naming another issuer (certificateIssuer) makes the CRL indirect and refused', async () => {
  const pki = await buildPki();
  const otherName = der.tlv(
    0x30,
    der.tlv(
      0xa4,
      der.tlv(
        0x30,
        der.tlv(
          0x31,
          der.tlv(0x30, der.tlv(0x06, Buffer.from('550403', 'hex')), der.tlv(0x0c, Buffer.from('other CA'))),
        ),
      ),
    ),
  );
  const crl = buildCustomCrl(pki, {
    entries: [{ cert: pki.clients.revoked.cert, extensions: [crlExtension('2.5.29.29', true, otherName)] }],
  });
  const errors = errorsOf(pki, crl);
  assert.deepEqual(
    errors.map((e) => e.code),
    ['PKI_CRL_INDIRECT'],
  );
  assert.ok(errors[0]?.message.includes(pki.clients.revoked.serial), errors[0]?.message);
});

test('an unknown critical extension, on the CRL or on an entry, is refused; a non-critical one is ignored', async () => {
  const pki = await buildPki();
  const entries = [{ cert: pki.clients.revoked.cert }];
  const unknown = (isCritical: boolean): Buffer =>
    crlExtension('1.3.6.1.4.1.99999.1', isCritical, der.tlv(0x05, Buffer.alloc(0)));
  const onCrl = errorsOf(pki, buildCustomCrl(pki, { entries, crlExtensions: [unknown(true)] }));
  assert.deepEqual(
    onCrl.map((e) => e.code),
    ['PKI_CRL_UNKNOWN_CRITICAL_EXTENSION'],
  );
  assert.ok(onCrl[0]?.message.includes('1.3.6.1.4.1.99999.1'));
  const onEntry = buildCustomCrl(pki, { entries: [{ cert: pki.clients.revoked.cert, extensions: [unknown(true)] }] });
  assert.deepEqual(codesOf(pki, onEntry), ['PKI_CRL_UNKNOWN_CRITICAL_EXTENSION']);
  assert.deepEqual(codesOf(pki, buildCustomCrl(pki, { entries, crlExtensions: [unknown(false)] })), []);
  assert.deepEqual(
    codesOf(pki, buildCustomCrl(pki, { entries: [{ cert: pki.clients.revoked.cert, extensions: [unknown(false)] }] })),
    [],
  );
});

test('certificateHold is enforced as revoked while listed; removeFromCRL in a complete CRL is refused', async () => {
  const pki = await buildPki();
  const REASON = '2.5.29.21';
  const hold = buildCustomCrl(pki, {
    entries: [{ cert: pki.clients.good.cert, extensions: [crlExtension(REASON, false, der.reasonCode(6))] }],
  });
  assert.deepEqual(codesOf(pki, hold), []);
  const parsed = parseCrl(read(hold));
  assert.equal(parsed.parts[0]?.holds, 1);
  const state = buildRevocationState(parsed);
  assert.equal(
    isRevoked(state, parsePeerIdentity(new X509Certificate(read(pki.clients.good.cert))) as never),
    true,
    'a held certificate is refused',
  );
  const removal = buildCustomCrl(pki, {
    entries: [{ cert: pki.clients.good.cert, extensions: [crlExtension(REASON, false, der.reasonCode(8))] }],
  });
  const errors = errorsOf(pki, removal);
  assert.deepEqual(
    errors.map((e) => e.code),
    ['PKI_CRL_REMOVE_FROM_CRL'],
  );
  assert.ok(errors[0]?.message.includes(pki.clients.good.serial));
});

test("revocation is keyed by issuer and serial: the same serial from another CA is not revoked by this CA's CRL", async () => {
  const pki = await buildPki();
  const foreign = new X509Certificate(read(pki.clients.otherCa.cert));
  const own = new X509Certificate(read(pki.clients.revoked.cert));
  // This CA's CRL lists both serials; only its own certificate is revoked by it.
  const crl = buildCustomCrl(pki, {
    entries: [{ cert: pki.clients.revoked.cert }, { serial: pki.clients.otherCa.serial }],
  });
  const state = buildRevocationState(parseCrl(read(crl)));
  assert.equal(state.revoked.has(pki.clients.otherCa.serial), true);
  assert.equal(isRevoked(state, parsePeerIdentity(own) as never), true);
  assert.equal(isRevoked(state, parsePeerIdentity(foreign) as never), false);
});

test('a revoked serial longer than the 20 octets RFC 5280 allows makes the CRL unparsable', async () => {
  const pki = await buildPki();
  const crl = buildCustomCrl(pki, { entries: [{ serial: '11'.repeat(21) }] });
  assert.deepEqual(codesOf(pki, crl), ['PKI_CRL_UNPARSABLE']);
});
