// cipher_list decides TLS 1.3 too: the derivation table, and what a client of a server built
// from buildSecureContextOptions can negotiate (real TLS on 127.0.0.1, EC fixture PKI).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tlsConnect, createServer, type Server, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { ALLOWED_CIPHERS, DEFAULT_CIPHER_LIST } from '../../../src/config/index.js';
import { buildTls13Suites, TLS13_SUITE_OF } from '../../../src/tls/cipher-policy.js';
import { buildSecureContextOptions } from '../../../src/tls/context.js';
import { acceptedTls13Suites, tryTls13Suite } from '../../fixtures/tls-probe.js';
import { buildTestPki, type TestPki } from './pki-openssl.js';

const CHACHA = 'TLS_CHACHA20_POLY1305_SHA256';

describe('buildTls13Suites', () => {
  it('has a TLS 1.3 entry (or a deliberate none) for exactly the suites the config allows', () => {
    assert.deepEqual(Object.keys(TLS13_SUITE_OF).sort(), [...ALLOWED_CIPHERS].sort());
  });

  it('maps the default cipher_list to the two AES-GCM suites, strongest first like the list', () => {
    assert.deepEqual(buildTls13Suites(DEFAULT_CIPHER_LIST), ['TLS_AES_256_GCM_SHA384', 'TLS_AES_128_GCM_SHA256']);
  });

  it('maps AES-128-GCM entries to TLS_AES_128_GCM_SHA256 only, once', () => {
    assert.deepEqual(buildTls13Suites('ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256'), [
      'TLS_AES_128_GCM_SHA256',
    ]);
  });

  it('follows the order of cipher_list', () => {
    assert.deepEqual(
      buildTls13Suites('ECDHE-ECDSA-AES128-CCM:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384'),
      ['TLS_AES_128_CCM_SHA256', 'TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384'],
    );
  });

  it('gives AES-256-CCM no TLS 1.3 suite (TLS 1.3 defines none)', () => {
    assert.deepEqual(buildTls13Suites('ECDHE-ECDSA-AES256-CCM'), []);
    assert.deepEqual(buildTls13Suites('ECDHE-ECDSA-AES256-CCM:ECDHE-ECDSA-AES128-CCM'), ['TLS_AES_128_CCM_SHA256']);
  });

  it('never yields ChaCha20 nor anything but AES-GCM/CCM, for every subset of the allowed suites', () => {
    for (let mask = 1; mask < 1 << ALLOWED_CIPHERS.length; mask++) {
      const list = ALLOWED_CIPHERS.filter((_, i) => (mask & (1 << i)) !== 0).join(':');
      for (const suite of buildTls13Suites(list))
        assert.match(suite, /^TLS_AES_(128|256)_(GCM|CCM)_SHA(256|384)$/, list);
    }
  });

  it('refuses a name the config rules would have refused', () => {
    assert.throws(
      () => buildTls13Suites('ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-CHACHA20-POLY1305'),
      /ECDHE-RSA-CHACHA20-POLY1305/,
    );
  });
});

describe('buildSecureContextOptions: the TLS versions and suites a client can use', () => {
  let pki: TestPki;
  before(() => {
    pki = buildTestPki();
  });
  after(() => pki?.cleanup());

  async function withServer(cipherList: string, body: (port: number) => Promise<void>): Promise<void> {
    const options = buildSecureContextOptions(
      { cipherList },
      { caPem: pki.caPem, certPem: pki.server.cert, keyPem: pki.server.key },
    );
    const server: Server = createServer(
      { ...options, requestCert: true, rejectUnauthorized: true },
      (socket: TLSSocket) => socket.end(),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      await body((server.address() as AddressInfo).port);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }

  const client = (): { ca: string; cert: string; key: string } => ({
    ca: pki.caPem,
    cert: pki.good.cert,
    key: pki.good.key,
  });

  it('default cipher_list: TLS 1.3 accepts the AES-GCM suites only; a client offering only ChaCha20 is refused', async () => {
    await withServer(DEFAULT_CIPHER_LIST, async (port) => {
      assert.deepEqual(await acceptedTls13Suites(port, client()), ['TLS_AES_256_GCM_SHA384', 'TLS_AES_128_GCM_SHA256']);
      assert.ok((await tryTls13Suite(port, CHACHA, client())).error !== undefined);
    });
  });

  it('cipher_list with AES-128-GCM suites only: TLS 1.3 accepts TLS_AES_128_GCM_SHA256 only', async () => {
    await withServer('ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256', async (port) => {
      assert.deepEqual(await acceptedTls13Suites(port, client()), ['TLS_AES_128_GCM_SHA256']);
    });
  });

  it('cipher_list with AES-CCM suites: TLS 1.3 offers AES-128-CCM', async () => {
    await withServer('ECDHE-ECDSA-AES256-CCM:ECDHE-ECDSA-AES128-CCM', async (port) => {
      assert.deepEqual(await acceptedTls13Suites(port, client()), ['TLS_AES_128_CCM_SHA256']);
    });
  });

  // Regression: given no TLS 1.3 suite, Node keeps OpenSSL's default ones (ChaCha20 included).
  it('cipher_list with AES-256-CCM only: TLS 1.3 is off (ChaCha20 too), TLS 1.2 uses AES-256-CCM', async () => {
    await withServer('ECDHE-ECDSA-AES256-CCM', async (port) => {
      assert.deepEqual(await acceptedTls13Suites(port, client()), []);
      const cipher = await new Promise<string>((resolve, reject) => {
        const socket = tlsConnect({ host: '127.0.0.1', port, ...client() });
        socket.once('secureConnect', () => {
          resolve(`${socket.getProtocol() ?? ''} ${socket.getCipher().name}`);
          socket.destroy();
        });
        socket.once('error', reject);
      });
      assert.equal(cipher, 'TLSv1.2 ECDHE-ECDSA-AES256-CCM');
    });
  });
});
