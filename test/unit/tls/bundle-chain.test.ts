// OpenSSL with a CA bundle as the `ca` option, and the front's revocation of the whole chain:
// a client of an intermediate verifies only when the root is in the store too (no partial
// chains), each certificate below the root is checked against its own issuer's CRL, and the
// chain is read once at the handshake, resumed sessions included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { buildBundlePki, buildPki, type CertFiles } from '../../fixtures/pki.js';
import { parseCrl } from '../../../src/pki/crl.js';
import { issuerKeyOfCertificate, subjectKeyOfCertificate } from '../../../src/pki/issuer-key.js';
import { chainAboveLeaf, readPeerIdentity, type PeerIdentity } from '../../../src/tls/peer.js';
import { chainIndexOf, PeerReader } from '../../../src/tls/peer-reader.js';
import { buildRevocationState, isRevoked, isSameRevocation } from '../../../src/tls/revocation.js';
import { buildServedChain } from '../../../src/tls/served-chain.js';
import { forTransfer, fromTransfer, transferablesOf } from '../../../src/reload/load-request.js';

interface Seen {
  readonly authorized: boolean;
  readonly error: string | undefined;
  readonly identity: PeerIdentity | undefined;
  readonly isResumed: boolean;
}

/**
 * A TLS server trusting `caPem`; each handshake's verdict and identity as the full read gives them.
 * The front's fast reader (one per server, so its leaf cache spans the handshakes) must give the
 * same identity for every handshake: checked after the body.
 */
async function withServer(caPem: string, body: (port: number, seen: Seen[]) => Promise<void>): Promise<void> {
  const pki = await buildPki();
  const seen: Seen[] = [];
  const reader = new PeerReader(caPem);
  const fast: Array<PeerIdentity | undefined> = [];
  const server = createServer(
    {
      key: readFileSync(pki.server.keyPlain),
      cert: buildServedChain(readFileSync(pki.server.cert, 'utf8'), caPem),
      ca: caPem,
      requestCert: true,
      rejectUnauthorized: false,
    },
    (socket: TLSSocket) => {
      seen.push({
        authorized: socket.authorized,
        error: socket.authorizationError === null ? undefined : String(socket.authorizationError),
        identity: readPeerIdentity(socket),
        isResumed: socket.isSessionReused(),
      });
      fast.push(reader.read(socket));
      socket.end('ok');
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await body((server.address() as AddressInfo).port, seen);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  assert.ok(seen.length > 0);
  assert.deepEqual(
    fast,
    seen.map((s) => s.identity),
    'the fast reader and the full read disagree',
  );
}

/** One handshake; resolves with the session (for a resumption) once the server has answered. */
function handshake(port: number, client: { cert: string; key: string }, session?: Buffer): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    let ticket: Buffer | undefined;
    const socket = connect({
      host: '127.0.0.1',
      port,
      cert: readFileSync(client.cert),
      key: readFileSync(client.key),
      rejectUnauthorized: false,
      ...(session === undefined ? {} : { session }),
    });
    socket.on('session', (s: Buffer) => {
      ticket = s;
    });
    socket.on('error', reject);
    socket.on('data', () => undefined);
    socket.on('end', () => resolve(ticket));
  });
}

const derOf = (path: string): Buffer =>
  Buffer.from(readFileSync(path, 'utf8').replace(/-----[^-]+-----|\s/g, ''), 'base64');

test('OpenSSL verifies a client of an intermediate with the bundle in `ca`; the chain read at the handshake names it', async () => {
  const pki = await buildPki();
  const b = await buildBundlePki(pki);
  await withServer(readFileSync(b.bundle, 'utf8'), async (port, seen) => {
    await handshake(port, b.clients.good);
    await handshake(port, b.clients.ofRevokedIntermediate);
    await handshake(port, pki.clients.good);
    await handshake(port, pki.clients.otherCa);
    const [ofIntermediate, ofRevokedIntermediate, ofRoot, ofOtherCa] = seen;
    assert.equal(ofIntermediate?.authorized, true, ofIntermediate?.error);
    // Completed from the store: the client sent its leaf only, the intermediate is still named.
    assert.deepEqual(
      ofIntermediate?.identity?.chain.map((k) => k.issuerKey),
      [issuerKeyOfCertificate(derOf(b.intermediate))],
    );
    assert.equal(ofRevokedIntermediate?.authorized, true, 'OpenSSL knows no CRL: the front refuses it itself');
    assert.equal(ofRoot?.authorized, true);
    assert.deepEqual(ofRoot?.identity?.chain, [], 'issued by the root: nothing above the leaf to check');
    assert.equal(ofOtherCa?.authorized, false);

    const state = buildRevocationState(parseCrl(readFileSync(b.crls.full)));
    assert.equal(isRevoked(state, ofIntermediate?.identity as PeerIdentity), false);
    assert.equal(isRevoked(state, ofRevokedIntermediate?.identity as PeerIdentity), true, 'its issuer is revoked');
    assert.equal(isRevoked(state, ofRoot?.identity as PeerIdentity), false);
  });
});

test('a client revoked by the intermediate CRL is revoked; the same serial under the root is not', async () => {
  const pki = await buildPki();
  const b = await buildBundlePki(pki);
  await withServer(readFileSync(b.bundle, 'utf8'), async (port, seen) => {
    await handshake(port, b.clients.revoked);
    const state = buildRevocationState(parseCrl(readFileSync(b.crls.full)));
    const identity = seen[0]?.identity as PeerIdentity;
    assert.equal(isRevoked(state, identity), true);
    // Keyed by issuer: presented as if the root issued it, the serial is not the root's to revoke.
    assert.equal(isRevoked(state, { ...identity, issuerKey: issuerKeyOfCertificate(derOf(b.intermediate)) }), false);
  });
});

test('an intermediate alone in `ca` verifies no client: OpenSSL accepts no partial chain', async () => {
  const pki = await buildPki();
  const b = await buildBundlePki(pki);
  await withServer(readFileSync(b.intermediate, 'utf8'), async (port, seen) => {
    await handshake(port, b.clients.good);
    assert.equal(seen[0]?.authorized, false);
    assert.equal(seen[0]?.error, 'UNABLE_TO_GET_ISSUER_CERT');
  });
});

test('an intermediate the client sends itself is checked against the root CRL too', async () => {
  const pki = await buildPki();
  const b = await buildBundlePki(pki);
  const withChain: CertFiles = { ...b.clients.ofRevokedIntermediate, cert: `${pki.dir}/bundle/client-with-chain.crt` };
  writeFileSync(
    withChain.cert,
    readFileSync(b.clients.ofRevokedIntermediate.cert, 'utf8') + readFileSync(b.revokedIntermediate, 'utf8'),
  );
  await withServer(readFileSync(b.root, 'utf8'), async (port, seen) => {
    await handshake(port, withChain);
    assert.equal(seen[0]?.authorized, true, seen[0]?.error);
    const state = buildRevocationState(parseCrl(readFileSync(b.crls.full)));
    assert.equal(isRevoked(state, seen[0]?.identity as PeerIdentity), true);
  });
});

test('a resumed session still carries the chain, so its check is the same as the full handshake', async () => {
  const pki = await buildPki();
  const b = await buildBundlePki(pki);
  await withServer(readFileSync(b.bundle, 'utf8'), async (port, seen) => {
    const session = await handshake(port, b.clients.ofRevokedIntermediate);
    assert.ok(session !== undefined, 'the server issued a session ticket');
    await handshake(port, b.clients.ofRevokedIntermediate, session);
    assert.equal(seen[1]?.isResumed, true);
    assert.deepEqual(seen[1]?.identity?.chain, seen[0]?.identity?.chain);
    assert.equal(seen[1]?.identity?.chain.length, 1);
  });
});

test('chainAboveLeaf stops before the root and at a missing link', () => {
  const root = { raw: Buffer.from('root') } as unknown as import('node:tls').DetailedPeerCertificate;
  (root as { issuerCertificate: unknown }).issuerCertificate = root;
  const mid = { raw: Buffer.from('mid'), issuerCertificate: root };
  const leaf = { raw: Buffer.from('leaf'), issuerCertificate: mid };
  assert.deepEqual(chainAboveLeaf(leaf as never).map(String), ['mid']);
  assert.deepEqual(chainAboveLeaf({ raw: Buffer.from('x') } as never), []);
  assert.deepEqual(chainAboveLeaf(undefined), []);
  const dangling = { raw: Buffer.from('leaf'), issuerCertificate: { raw: Buffer.from('mid') } };
  assert.deepEqual(chainAboveLeaf(dangling as never).map(String), ['mid']);
});

test('the per-issuer sets cross to the serving thread intact, and a change in one of them is a change', async () => {
  const pki = await buildPki();
  const b = await buildBundlePki(pki);
  const full = parseCrl(readFileSync(b.crls.full));
  const material = {
    caPem: '',
    certPem: '',
    keyPem: '',
    ca: undefined as never,
    caBundle: [],
    serverCert: undefined as never,
    crl: full,
    fingerprints: {},
    warnings: [],
  };
  const wired = forTransfer(material);
  assert.equal(transferablesOf(wired.material, wired.revokedSerials).length, 2);
  const copy = structuredClone(wired);
  const back = fromTransfer(copy.material, copy.revokedSerials);
  assert.ok(back.crl?.otherIssuers[0]?.revokedSerials.has(b.clients.revoked.serial));
  const later = parseCrl(readFileSync(b.crls.later));
  const strip = <T extends object>(c: T): T => ({ ...c, fingerprint256: undefined });
  assert.equal(
    isSameRevocation(buildRevocationState(strip(full)), buildRevocationState(strip(back.crl as never))),
    true,
  );
  assert.equal(isSameRevocation(buildRevocationState(strip(full)), buildRevocationState(strip(later))), false);
});

test('a server certificate issued by an intermediate of the bundle is sent with that intermediate, never the root', async () => {
  const pki = await buildPki();
  const b = await buildBundlePki(pki);
  const chain = buildServedChain(readFileSync(b.serverByIntermediate, 'utf8'), readFileSync(b.bundleReversed, 'utf8'));
  const sent = chain.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
  const subjects = sent.map((pem) => new X509Certificate(pem).subject.replace(/\n/g, ', '));
  assert.deepEqual(subjects, [
    'CN=localhost, O=streamfront test',
    'CN=streamfront test intermediate, O=streamfront test',
  ]);
});

test('known limit: a resumed session no longer shows an intermediate that only the client sent', async () => {
  const pki = await buildPki();
  const b = await buildBundlePki(pki);
  const withChain: CertFiles = {
    ...b.clients.ofRevokedIntermediate,
    cert: `${pki.dir}/bundle/client-with-chain-2.crt`,
  };
  writeFileSync(
    withChain.cert,
    readFileSync(b.clients.ofRevokedIntermediate.cert, 'utf8') + readFileSync(b.revokedIntermediate, 'utf8'),
  );
  await withServer(readFileSync(b.root, 'utf8'), async (port, seen) => {
    const session = await handshake(port, withChain);
    await handshake(port, withChain, session);
    assert.equal(seen[1]?.isResumed, true);
    assert.equal(seen[0]?.identity?.chain.length, 1, 'full handshake: the intermediate the client sent');
    // docs/config.md "CA bundle": the ticket holds the leaf only; put such intermediates into ca_crt.
    assert.equal(seen[1]?.identity?.chain.length, 0);
  });
});

test('the CA file index: a root has no path, an intermediate its own, an intermediate without its issuer none', async () => {
  const pki = await buildPki();
  const b = await buildBundlePki(pki);
  const read = (p: string): string => readFileSync(p, 'utf8');
  const subjectOf = (p: string): string => subjectKeyOfCertificate(derOf(p));
  const index = chainIndexOf(read(b.bundle));
  assert.equal(index.size, 3);
  assert.deepEqual(index.get(subjectOf(b.root)), []);
  const ofIntermediate = index.get(subjectOf(b.intermediate));
  assert.equal(ofIntermediate?.length, 1);
  assert.equal(ofIntermediate?.[0]?.issuerKey, issuerKeyOfCertificate(derOf(b.intermediate)));
  // The same certificate twice in the file is one CA, not two that share a name.
  const twice = chainIndexOf(read(b.root) + read(b.intermediate) + read(b.intermediate));
  assert.equal(twice.get(subjectOf(b.intermediate))?.length, 1);
  assert.equal(
    chainIndexOf(read(b.danglingBundle)).get(
      subjectOf(b.danglingBundle.replace(/bundle-dangling/, 'intermediate-stray')),
    ),
    null,
  );
});
