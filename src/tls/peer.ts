// The client's identity, read once per TLS connection: normalized serial, RFC 2253 subject and
// the Envoy-format x-forwarded-client-cert value; cached on the socket so requests only look up.
import { X509Certificate } from 'node:crypto';
import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';
import { issuerKeyOfCertificate, serialTlvOfCertificate } from '../pki/issuer-key.js';
import { hashSerialKey, SERIAL_KEY_BYTES, writeSerialKey } from '../pki/serial-key.js';
import { normalizeSerial } from '../pki/serial.js';
import type { RefusalReason } from './refusal.js';

/** What revocation needs of one certificate: its issuer and serial, as keys computed once. */
export interface RevocationKey {
  /** The revocation key, computed once here so a request's check allocates nothing (tls/revocation.ts). */
  readonly issuerKey: string;
  /** undefined for a serial longer than 20 octets: no CRL the front accepts can list it. */
  readonly serialKey: Uint8Array | undefined;
  readonly serialHash: number;
}

export interface PeerIdentity extends RevocationKey {
  readonly serial: string;
  readonly subject: string;
  /** Envoy's x-forwarded-client-cert element: Hash=..;Subject="..";URI=.. */
  readonly xfcc: string;
  /** The intermediates of the verified chain, nearest first (the root excluded): each can be revoked too. */
  readonly chain: readonly RevocationKey[];
}

/** Why a connection that finished its handshake was not accepted, and who it claimed to be. */
export interface PeerRefusal {
  readonly reason: RefusalReason;
  readonly serial?: string | undefined;
  readonly subject?: string | undefined;
}

const identities = new WeakMap<TLSSocket, PeerIdentity>();
const refusals = new WeakMap<TLSSocket, PeerRefusal>();

/**
 * RFC 2253 order (most specific first), as Envoy prints it. Node gives the subject one
 * attribute per line in certificate order, values already escaped.
 */
export function formatSubject(subjectLines: string | undefined): string {
  if (subjectLines === undefined || subjectLines === '') return '';
  return subjectLines.split('\n').reverse().join(',');
}

function quoteXfcc(value: string): string {
  return `"${value.replace(/(["\\])/g, '\\$1')}"`;
}

function urisOf(altNames: string | undefined): string[] {
  if (altNames === undefined) return [];
  const uris: string[] = [];
  for (const entry of altNames.split(', ')) if (entry.startsWith('URI:')) uris.push(entry.slice(4));
  return uris;
}

export function revocationKeyOf(der: Buffer): RevocationKey {
  const serial = serialTlvOfCertificate(der);
  let serialKey: Uint8Array | undefined = new Uint8Array(SERIAL_KEY_BYTES);
  if (!writeSerialKey(der, serial.bodyStart, serial.end, serialKey, 0)) serialKey = undefined;
  return {
    issuerKey: issuerKeyOfCertificate(der),
    serialKey,
    serialHash: serialKey === undefined ? 0 : hashSerialKey(serialKey, 0),
  };
}

/** Longer chains than this are not a PKI this front is meant for; the walk stops there. */
const MAX_CHAIN = 8;

/**
 * The DER of the certificates above the leaf in the chain Node reports (what the client sent,
 * completed from the CA store), stopping before the self-signed root, whose issuerCertificate
 * Node points at itself.
 */
export function chainAboveLeaf(peer: DetailedPeerCertificate | undefined): Buffer[] {
  const out: Buffer[] = [];
  let current = peer;
  while (current !== undefined && out.length < MAX_CHAIN) {
    const issuer = current.issuerCertificate as DetailedPeerCertificate | undefined;
    if (issuer === undefined || issuer === current || issuer.raw === undefined) break;
    if (issuer.issuerCertificate === issuer || issuer.raw.equals(current.raw)) break; // the root
    out.push(issuer.raw);
    current = issuer;
  }
  return out;
}

/** undefined when the peer sent no certificate. `chainDers`: the intermediates above it, nearest first. */
export function parsePeerIdentity(
  cert: X509Certificate | undefined,
  chainDers: readonly Buffer[] = [],
): PeerIdentity | undefined {
  if (cert === undefined) return undefined;
  // fingerprint256 is the SHA-256 of the DER: Envoy's Hash, without hashing again.
  const hash = cert.fingerprint256.replace(/:/g, '').toLowerCase();
  const subject = formatSubject(cert.subject);
  let xfcc = `Hash=${hash};Subject=${quoteXfcc(subject)}`;
  for (const uri of urisOf(cert.subjectAltName)) xfcc += `;URI=${/[;,="]/.test(uri) ? quoteXfcc(uri) : uri}`;
  return {
    serial: normalizeSerial(cert.serialNumber),
    subject,
    xfcc,
    ...revocationKeyOf(cert.raw),
    chain: chainDers.map(revocationKeyOf),
  };
}

/** The peer's identity and chain, parsed now (once per connection, at the handshake). */
export function readPeerIdentity(socket: TLSSocket): PeerIdentity | undefined {
  // One native call, and the leaf parsed again from its DER. Node 20's getPeerX509Certificate()
  // on a server socket keeps about 4.5 KB of native memory per call that nothing frees (a soak
  // with a quarter of fresh connections grew 52 MB in 66,000 requests: docs/performance.md,
  // Soak), and drops the first certificate the client sent after its leaf from the chain that
  // later calls report.
  const peer = socket.getPeerCertificate(true) as DetailedPeerCertificate | undefined;
  if (peer?.raw === undefined) return undefined;
  return parsePeerIdentity(new X509Certificate(peer.raw), chainAboveLeaf(peer));
}

/**
 * Records the identity of a connection the front has accepted. Only accepted connections have
 * one: a request parsed on a connection that was refused finds none and is never proxied.
 */
export function acceptPeer(socket: TLSSocket, identity: PeerIdentity): void {
  identities.set(socket, identity);
}

/** The accepted identity of this connection: a WeakMap lookup, undefined if it was not accepted. */
export function peerOf(socket: TLSSocket): PeerIdentity | undefined {
  return identities.get(socket);
}

/** Records why a connection was refused: its requests are answered with the reason, never proxied. */
export function refusePeer(socket: TLSSocket, refusal: PeerRefusal): void {
  refusals.set(socket, refusal);
}

/** The refusal of a connection that was not accepted; undefined for accepted ones. */
export function refusalOf(socket: TLSSocket): PeerRefusal | undefined {
  return refusals.get(socket);
}
