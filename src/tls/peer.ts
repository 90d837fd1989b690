// The client's identity, read once per TLS connection: normalized serial, RFC 2253 subject and
// the Envoy-format x-forwarded-client-cert value; cached on the socket so requests only look up.
import type { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { issuerKeyOfCertificate, serialTlvOfCertificate } from '../pki/issuer-key.js';
import { hashSerialKey, SERIAL_KEY_BYTES, writeSerialKey } from '../pki/serial-key.js';
import { normalizeSerial } from '../pki/serial.js';
import type { RefusalReason } from './refusal.js';

export interface PeerIdentity {
  readonly serial: string;
  readonly subject: string;
  /** Envoy's x-forwarded-client-cert element: Hash=..;Subject="..";URI=.. */
  readonly xfcc: string;
  /** The revocation key, computed once here so a request's check allocates nothing (tls/revocation.ts). */
  readonly issuerKey: string;
  /** undefined for a serial longer than 20 octets: no CRL the front accepts can list it. */
  readonly serialKey: Uint8Array | undefined;
  readonly serialHash: number;
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

/** undefined when the peer sent no certificate. */
export function parsePeerIdentity(cert: X509Certificate | undefined): PeerIdentity | undefined {
  if (cert === undefined) return undefined;
  // fingerprint256 is the SHA-256 of the DER: Envoy's Hash, without hashing again.
  const hash = cert.fingerprint256.replace(/:/g, '').toLowerCase();
  const subject = formatSubject(cert.subject);
  let xfcc = `Hash=${hash};Subject=${quoteXfcc(subject)}`;
  for (const uri of urisOf(cert.subjectAltName)) xfcc += `;URI=${/[;,="]/.test(uri) ? quoteXfcc(uri) : uri}`;
  const der = cert.raw;
  const serial = serialTlvOfCertificate(der);
  let serialKey: Uint8Array | undefined = new Uint8Array(SERIAL_KEY_BYTES);
  if (!writeSerialKey(der, serial.bodyStart, serial.end, serialKey, 0)) serialKey = undefined;
  return {
    serial: normalizeSerial(cert.serialNumber),
    subject,
    xfcc,
    issuerKey: issuerKeyOfCertificate(der),
    serialKey,
    serialHash: serialKey === undefined ? 0 : hashSerialKey(serialKey, 0),
  };
}

/** The peer's identity from its certificate, parsed now (once per connection, at the handshake). */
export function readPeerIdentity(socket: TLSSocket): PeerIdentity | undefined {
  return parsePeerIdentity(socket.getPeerX509Certificate());
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
