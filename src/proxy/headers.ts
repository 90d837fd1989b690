// Request and response headers across the proxy: hop-by-hop headers dropped (RFC 9110 7.6.1),
// identity headers a client could forge removed, then our own identity and forwarding set.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { PeerIdentity } from '../tls/peer.js';

/** Connection-specific: never forwarded either way (plus any the Connection header lists). */
export const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authorization', 'proxy-authenticate']);

/** Exact names a client could use to pose as someone else or as coming from elsewhere. */
const SPOOFABLE = new Set(['forwarded', 'x-real-ip', 'x-client-ip', 'true-client-ip', 'client-ip', 'cf-connecting-ip', 'x-cluster-client-ip', 'x-remote-user', 'remote-user', 'x-authenticated-user', 'x-remote-addr']);
/** Prefixes of the same: every x-forwarded-*, every client-cert / ssl-client header variant. */
const SPOOFABLE_PREFIXES = ['x-forwarded-', 'x-client-cert', 'x-ssl-', 'ssl-client', 'x-client-dn', 'x-client-verify', 'x-client-s-dn', 'x-client-i-dn'];

export function isSpoofable(name: string): boolean {
  if (SPOOFABLE.has(name)) return true;
  for (let i = 0; i < SPOOFABLE_PREFIXES.length; i++) if (name.startsWith(SPOOFABLE_PREFIXES[i] as string)) return true;
  return false;
}

/**
 * Mutates the header copy reply-from hands us (its own copy, already without Connection-listed
 * names) into what the engine receives.
 */
export function buildUpstreamHeaders(headers: IncomingHttpHeaders, identity: PeerIdentity | undefined, clientIp: string | undefined, requestId: string): IncomingHttpHeaders {
  for (const name in headers) {
    if (HOP_BY_HOP.has(name) || isSpoofable(name)) delete headers[name];
  }
  if (identity !== undefined) headers['x-forwarded-client-cert'] = identity.xfcc;
  if (clientIp !== undefined) headers['x-forwarded-for'] = clientIp;
  headers['x-forwarded-proto'] = 'https';
  headers['x-request-id'] = requestId;
  return headers;
}

export function buildDownstreamHeaders(headers: OutgoingHttpHeaders | IncomingHttpHeaders, requestId: string): OutgoingHttpHeaders {
  const out = headers as OutgoingHttpHeaders;
  const listed = out.connection;
  if (typeof listed === 'string') for (const name of listed.split(',')) delete out[name.trim().toLowerCase()];
  for (const name of HOP_BY_HOP) delete out[name];
  out['x-request-id'] = requestId;
  return out;
}
