// The chain the front sends: leaf and intermediates only. Built with the openssl CLI: a root,
// an intermediate under it, a server and a client under the intermediate, and a server
// issued directly by the root. What is sent is read with openssl s_client -showcerts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, createServer, type Server, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { buildSecureContextOptions } from '../../../src/tls/context.js';
import { buildServedChain, isSelfSigned } from '../../../src/tls/served-chain.js';
import { showServerCertificates } from '../../fixtures/tls-probe.js';

interface ChainPki {
  dir: string;
  root: string;
  intermediate: string;
  /** Issued by the intermediate. */
  server: string;
  /** Issued directly by the root, same key as server. */
  serverUnderRoot: string;
  serverKey: string;
  /** Issued by the intermediate. */
  client: string;
  clientKey: string;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

function buildChainPki(): ChainPki {
  const dir = mkdtempSync(join(tmpdir(), 'sf-chain-pki-'));
  const ossl = (args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  };
  writeFileSync(join(dir, 'ca.ext'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n');
  writeFileSync(
    join(dir, 'server.ext'),
    'basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n',
  );
  writeFileSync(join(dir, 'client.ext'), 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n');
  ossl([
    'req',
    '-x509',
    ...EC,
    '-keyout',
    'root.key',
    '-out',
    'root.crt',
    '-subj',
    '/CN=Chain Test Root',
    '-days',
    '2',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  const issue = (name: string, cn: string, key: string, signer: string, ext: string): void => {
    ossl(['req', '-new', '-key', key, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
    ossl([
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${signer}.crt`,
      '-CAkey',
      `${signer}.key`,
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      '-extfile',
      ext,
    ]);
  };
  ossl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'intermediate.key']);
  ossl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'server.key']);
  ossl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'client.key']);
  issue('intermediate', 'Chain Test Intermediate', 'intermediate.key', 'root', 'ca.ext');
  issue('server', '127.0.0.1', 'server.key', 'intermediate', 'server.ext');
  issue('server-under-root', '127.0.0.1', 'server.key', 'root', 'server.ext');
  issue('client', 'chain client', 'client.key', 'intermediate', 'client.ext');
  const read = (name: string): string => readFileSync(join(dir, name), 'utf8');
  return {
    dir,
    root: read('root.crt'),
    intermediate: read('intermediate.crt'),
    server: read('server.crt'),
    serverUnderRoot: read('server-under-root.crt'),
    serverKey: read('server.key'),
    client: read('client.crt'),
    clientKey: read('client.key'),
  };
}

const subjects = (pem: string): string[] =>
  (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []).map(
    (b) => new X509Certificate(b).subject,
  );

let pki: ChainPki;
before(() => {
  pki = buildChainPki();
});
after(() => rmSync(pki.dir, { recursive: true, force: true }));

describe('buildServedChain', () => {
  it('adds the intermediate from the CA bundle, never the root', () => {
    assert.deepEqual(subjects(buildServedChain(pki.server, pki.root + pki.intermediate)), [
      'CN=127.0.0.1',
      'CN=Chain Test Intermediate',
    ]);
  });

  it('keeps the intermediates of the server certificate file and drops a root pasted into it', () => {
    assert.deepEqual(subjects(buildServedChain(pki.server + pki.root + pki.intermediate, pki.root)), [
      'CN=127.0.0.1',
      'CN=Chain Test Intermediate',
    ]);
  });

  it('leaves a certificate issued directly by the root alone', () => {
    assert.deepEqual(subjects(buildServedChain(pki.serverUnderRoot, pki.root)), ['CN=127.0.0.1']);
  });

  it('gives input that is not PEM back unchanged, for OpenSSL to refuse', () => {
    assert.equal(buildServedChain('not a certificate', pki.root), 'not a certificate');
  });
});

describe('what a client is sent, from buildSecureContextOptions', () => {
  async function withServer(certPem: string, caPem: string, body: (port: number) => Promise<void>): Promise<void> {
    const options = buildSecureContextOptions(
      { cipherList: 'ECDHE-ECDSA-AES128-GCM-SHA256' },
      { caPem, certPem, keyPem: pki.serverKey },
    );
    // The server answers with its verdict on the client certificate: OpenSSL still checks it against `ca`.
    const server: Server = createServer(
      { ...options, requestCert: true, rejectUnauthorized: false },
      (socket: TLSSocket) => {
        socket.end(`authorized=${String(socket.authorized)}\n`);
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      await body((server.address() as AddressInfo).port);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }

  it('a PKI with an intermediate: the server certificate and the intermediate, no self-signed certificate; the client is verified', async () => {
    await withServer(pki.server, pki.root + pki.intermediate, async (port) => {
      const files = {
        ca: join(pki.dir, 'root.crt'),
        cert: join(pki.dir, 'client.crt'),
        key: join(pki.dir, 'client.key'),
      };
      for (const version of ['-tls1_2', '-tls1_3']) {
        const sent = await showServerCertificates(port, [
          version,
          '-CAfile',
          files.ca,
          '-cert',
          files.cert,
          '-key',
          files.key,
        ]);
        assert.deepEqual(
          sent.map((c) => c.subject),
          ['CN=127.0.0.1', 'CN=Chain Test Intermediate'],
          version,
        );
        assert.deepEqual(sent.filter(isSelfSigned), [], version);
      }
      const verdict = await new Promise<string>((resolve, reject) => {
        const socket = tlsConnect({ host: '127.0.0.1', port, ca: pki.root, cert: pki.client, key: pki.clientKey });
        let text = '';
        socket.setEncoding('utf8');
        socket.on('data', (chunk: string) => (text += chunk));
        socket.once('end', () => resolve(text));
        socket.once('error', reject);
      });
      assert.match(verdict, /authorized=true/);
    });
  });
});
