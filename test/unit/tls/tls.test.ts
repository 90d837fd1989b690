// The TLS side's pure rules: serial form, subject order, refusal reasons, revocation state,
// and that a context refused by OpenSSL is reported without key bytes.
import { RevokedSerials } from '../../../src/pki/revoked-serials.js';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { normalizeSerial } from '../../../src/pki/serial.js';
import { formatSubject, parsePeerIdentity } from '../../../src/tls/peer.js';
import { parseRefusalReason, refusalAnswer } from '../../../src/tls/refusal.js';
import { buildRevocationState, isSameRevocation } from '../../../src/tls/revocation.js';
import { buildSecureContextOptions, validateSecureContext } from '../../../src/tls/context.js';
import { buildTestPki } from './pki-openssl.js';

describe('tls rules', () => {
  it('normalizes serials to uppercase hex without leading zeros', () => {
    assert.equal(normalizeSerial('00a1:0b'), 'A10B');
    assert.equal(normalizeSerial('000'), '0');
  });

  it('prints the subject most specific first', () => {
    assert.equal(formatSubject('C=CN\nO=Org\nCN=client'), 'CN=client,O=Org,C=CN');
  });

  it('names refusal reasons', () => {
    assert.equal(parseRefusalReason('CERT_HAS_EXPIRED'), 'expired');
    assert.equal(parseRefusalReason('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), 'unknown-ca');
    assert.equal(
      parseRefusalReason(Object.assign(new Error('x'), { code: 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE' })),
      'no-certificate',
    );
    assert.equal(
      parseRefusalReason(Object.assign(new Error('x'), { code: 'ERR_TLS_HANDSHAKE_TIMEOUT' })),
      'handshake-timeout',
    );
  });

  it('answers each refusal with a status and a JSON body naming the reason', () => {
    for (const reason of ['no-certificate', 'unknown-ca', 'expired', 'not-yet-valid', 'bad-certificate'] as const) {
      const answer = refusalAnswer(reason);
      assert.equal(answer.status, 400);
      assert.equal((JSON.parse(answer.body) as { reason: string }).reason, reason);
    }
    assert.equal(refusalAnswer('revoked').status, 403);
    assert.equal(refusalAnswer('too-many-connections').status, 503);
  });

  it('tracks revocation changes', () => {
    const a = buildRevocationState({
      revokedSerials: RevokedSerials.fromHex(['1']),
      issuerKey: 'cn=ca',
      nextUpdate: new Date(1000),
    });
    const b = buildRevocationState({
      revokedSerials: RevokedSerials.fromHex(['1']),
      issuerKey: 'cn=ca',
      nextUpdate: undefined,
    });
    const c = buildRevocationState({
      revokedSerials: RevokedSerials.fromHex(['2']),
      issuerKey: 'cn=ca',
      nextUpdate: undefined,
    });
    assert.equal(isSameRevocation(a, b), true);
    assert.equal(isSameRevocation(a, c), false);
  });

  it('builds the XFCC element from the certificate and refuses a mismatched key without echoing it', () => {
    const pki = buildTestPki();
    try {
      const id = parsePeerIdentity(new X509Certificate(pki.good.cert));
      assert.equal(id?.serial, pki.goodSerial);
      assert.match(
        id?.xfcc ?? '',
        /^Hash=[0-9a-f]{64};Subject="O=Front Test,CN=good client";URI=spiffe:\/\/test\/client$/,
      );
      const options = buildSecureContextOptions(
        { cipherList: 'ECDHE-ECDSA-AES128-GCM-SHA256' },
        { caPem: pki.caPem, certPem: pki.server.cert, keyPem: pki.server2.key },
      );
      assert.throws(
        () => validateSecureContext(options),
        (err: Error & { code: string }) => {
          assert.equal(err.code, 'FRONT_TLS_CONTEXT');
          assert.doesNotMatch(err.message, /PRIVATE KEY|BEGIN/);
          return true;
        },
      );
    } finally {
      pki.cleanup();
    }
  });
});
