// Request and response headers across the proxy: hop-by-hop headers dropped (RFC 9110 7.6.1),
// identity headers a client could forge removed, then our own identity and forwarding set.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { PeerIdentity } from '../tls/peer.js';

/** Connection-specific: never forwarded either way (plus any the Connection header lists). */
export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-authorization',
  'proxy-authenticate',
]);

/**
 * Expect is answered by the front itself (100 Continue, or the final answer), so the engine
 * receives the body without it; undici also refuses to send it.
 */
const ANSWERED_HERE = 'expect';

/** Exact names a client could use to pose as someone else or as coming from elsewhere. */
const SPOOFABLE = new Set([
  'forwarded',
  'x-real-ip',
  'x-client-ip',
  'true-client-ip',
  'client-ip',
  'cf-connecting-ip',
  'x-cluster-client-ip',
  'x-remote-user',
  'remote-user',
  'x-authenticated-user',
  'x-remote-addr',
]);
/** Prefixes of the same: every x-forwarded-*, every client-cert / ssl-client header variant. */
const SPOOFABLE_PREFIXES = [
  'x-forwarded-',
  'x-client-cert',
  'x-ssl-',
  'ssl-client',
  'x-client-dn',
  'x-client-verify',
  'x-client-s-dn',
  'x-client-i-dn',
];

export function isSpoofable(name: string): boolean {
  if (SPOOFABLE.has(name)) return true;
  for (let i = 0; i < SPOOFABLE_PREFIXES.length; i++) if (name.startsWith(SPOOFABLE_PREFIXES[i] as string)) return true;
  return false;
}

/** Verdicts for header names seen before: the same few names arrive on every request. */
const droppedNames = new Map<string, boolean>();
/** Names are client-chosen: past this many, new ones are judged without being remembered. */
const MAX_REMEMBERED_NAMES = 512;

/**
 * True when a request header must not reach the engine: hop-by-hop, answered here, a forgeable
 * identity, an h2 pseudo-header, or Host (undici sends the engine's own).
 */
function isDropped(name: string): boolean {
  let verdict = droppedNames.get(name);
  if (verdict === undefined) {
    verdict =
      HOP_BY_HOP.has(name) || name === ANSWERED_HERE || name === 'host' || name.startsWith(':') || isSpoofable(name);
    if (droppedNames.size < MAX_REMEMBERED_NAMES) droppedNames.set(name, verdict);
  }
  return verdict;
}

/** Names a client's Connection header lists: hop-by-hop for this request only (RFC 9110 7.6.1). */
function connectionListed(value: string | string[] | undefined): Set<string> | undefined {
  if (value === undefined) return undefined;
  const names = new Set<string>();
  for (const part of Array.isArray(value) ? value : [value])
    for (const name of part.split(',')) names.add(name.trim().toLowerCase());
  return names;
}

/**
 * What the engine receives: a fresh object with the allowed headers copied over (never
 * deleting from one, which turns it into a slow dictionary-mode object), then our own
 * identity and forwarding headers.
 */
export function buildUpstreamHeaders(
  headers: IncomingHttpHeaders,
  identity: PeerIdentity | undefined,
  clientIp: string | undefined,
  requestId: string,
): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  const listed = connectionListed(headers.connection);
  for (const name in headers) {
    if (!isDropped(name) && (listed === undefined || !listed.has(name))) out[name] = headers[name];
  }
  if (identity !== undefined) out['x-forwarded-client-cert'] = identity.xfcc;
  if (clientIp !== undefined) out['x-forwarded-for'] = clientIp;
  out['x-forwarded-proto'] = 'https';
  out['x-request-id'] = requestId;
  return out;
}

export function buildDownstreamHeaders(
  headers: OutgoingHttpHeaders | IncomingHttpHeaders,
  requestId: string,
): OutgoingHttpHeaders {
  const out = headers as OutgoingHttpHeaders;
  const listed = out.connection;
  if (typeof listed === 'string') for (const name of listed.split(',')) delete out[name.trim().toLowerCase()];
  for (const name of HOP_BY_HOP) delete out[name];
  out['x-request-id'] = requestId;
  return out;
}
