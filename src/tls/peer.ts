// The client's identity, read once per TLS connection: normalized serial, RFC 2253 subject and
// the Envoy-format x-forwarded-client-cert value; cached on the socket so requests only look up.
import { createHash } from 'node:crypto';
import type { DetailedPeerCertificate, PeerCertificate, TLSSocket } from 'node:tls';
import { normalizeSerial } from './serial.js';

export interface PeerIdentity {
  readonly serial: string;
  readonly subject: string;
  /** Envoy's x-forwarded-client-cert element: Hash=..;Subject="..";URI=.. */
  readonly xfcc: string;
}

const identities = new WeakMap<TLSSocket, PeerIdentity>();

function escapeDnValue(value: string): string {
  return value.replace(/([,+"\\<>;=])/g, '\\$1');
}

/** RFC 2253 order (most specific first), as Envoy and OpenSSL's -nameopt RFC2253 print it. */
export function formatSubject(subject: PeerCertificate['subject'] | undefined): string {
  if (subject === undefined || subject === null) return '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(subject)) {
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) parts.push(`${key}=${escapeDnValue(String(v))}`);
  }
  return parts.reverse().join(',');
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

/** undefined when the peer sent no certificate (an empty object from Node). */
export function parsePeerIdentity(cert: PeerCertificate | DetailedPeerCertificate | undefined): PeerIdentity | undefined {
  if (cert === undefined || cert === null || cert.raw === undefined || cert.serialNumber === undefined) return undefined;
  const hash = createHash('sha256').update(cert.raw).digest('hex');
  const subject = formatSubject(cert.subject);
  let xfcc = `Hash=${hash};Subject=${quoteXfcc(subject)}`;
  for (const uri of urisOf(cert.subjectaltname)) xfcc += `;URI=${/[;,="]/.test(uri) ? quoteXfcc(uri) : uri}`;
  return { serial: normalizeSerial(cert.serialNumber), subject, xfcc };
}

/** Parses and caches; later calls on the same socket are a WeakMap lookup. */
export function identifyPeer(socket: TLSSocket): PeerIdentity | undefined {
  let identity = identities.get(socket);
  if (identity === undefined) {
    identity = parsePeerIdentity(socket.getPeerCertificate(false));
    if (identity !== undefined) identities.set(socket, identity);
  }
  return identity;
}

export function peerOf(socket: TLSSocket): PeerIdentity | undefined {
  return identities.get(socket);
}
