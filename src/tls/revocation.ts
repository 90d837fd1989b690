// The revocation set the front enforces itself, per connection and per request.
// Why not OpenSSL's `crl` option: OpenSSL fails closed for EVERY client when the CRL has expired,
// is signed by another key or is missing for a CA of the chain; checking the leaf serial against
// a parsed set keeps the freshness policy (keep-enforcing / refuse-all) in our hands, lets a new
// CRL reach connections that are already open, and costs one hash-table probe per request.
// The set is keyed by issuer and serial: it only speaks for certificates its CA issued.
import { NO_REVOKED_SERIALS, type RevokedSerials } from '../pki/revoked-serials.js';
import type { PeerIdentity } from './peer.js';
import type { FrontCrl } from './types.js';

export interface RevocationState {
  readonly revoked: RevokedSerials;
  /** The CRL issuer, folded (pki/issuer-key.ts); '' when there is no CRL. */
  readonly issuerKey: string;
  /** ms since epoch after which the CRL is stale; Infinity when there is no CRL or no nextUpdate. */
  readonly staleAfterMs: number;
  readonly hasCrl: boolean;
  readonly fingerprint256?: string | undefined;
}

const NO_CRL: RevocationState = { revoked: NO_REVOKED_SERIALS, issuerKey: '', staleAfterMs: Infinity, hasCrl: false };

export function buildRevocationState(crl: FrontCrl | undefined): RevocationState {
  if (crl === undefined) return NO_CRL;
  return {
    revoked: crl.revokedSerials,
    issuerKey: crl.issuerKey,
    staleAfterMs: crl.nextUpdate === undefined ? Infinity : crl.nextUpdate.getTime(),
    hasCrl: true,
    fingerprint256: crl.fingerprint256,
  };
}

/** The per-request check: a string compare and a table probe with the key the handshake computed. */
export function isRevoked(state: RevocationState, peer: PeerIdentity): boolean {
  return (
    peer.serialKey !== undefined &&
    peer.issuerKey === state.issuerKey &&
    state.revoked.hasKey(peer.serialKey, peer.serialHash)
  );
}

export function isSameRevocation(a: RevocationState, b: RevocationState): boolean {
  if (a.revoked === b.revoked) return a.issuerKey === b.issuerKey;
  // Same file bytes, same set. Different bytes are treated as a change (a re-signed CRL with the
  // same entries only costs a ticket-key rotation), which keeps a 1,000,000-entry swap O(1) here.
  if (a.fingerprint256 !== undefined && b.fingerprint256 !== undefined) return a.fingerprint256 === b.fingerprint256;
  if (a.issuerKey !== b.issuerKey || a.revoked.size !== b.revoked.size) return false;
  for (const serial of a.revoked) if (!b.revoked.has(serial)) return false;
  return true;
}
