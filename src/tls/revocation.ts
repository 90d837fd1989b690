// The revocation set the front enforces itself, per connection and per request.
// Why not OpenSSL's `crl` option: OpenSSL fails closed for EVERY client when the CRL has expired,
// is signed by another key or is missing for a CA of the chain; checking the leaf serial against
// a parsed set keeps the freshness policy (keep-enforcing / refuse-all) in our hands, lets a new
// CRL reach connections that are already open, and costs one Set lookup per request.
import type { CrlExpiredPolicy, FrontCrl } from './types.js';

export interface RevocationState {
  readonly revoked: ReadonlySet<string>;
  /** ms since epoch after which the CRL is stale; Infinity when there is no CRL or no nextUpdate. */
  readonly staleAfterMs: number;
  readonly hasCrl: boolean;
  readonly fingerprint256?: string | undefined;
}

const EMPTY: ReadonlySet<string> = new Set();

export function buildRevocationState(crl: FrontCrl | undefined): RevocationState {
  if (crl === undefined) return { revoked: EMPTY, staleAfterMs: Infinity, hasCrl: false };
  return { revoked: crl.revokedSerials, staleAfterMs: crl.nextUpdate === undefined ? Infinity : crl.nextUpdate.getTime(), hasCrl: true, fingerprint256: crl.fingerprint256 };
}

export function isSameRevocation(a: RevocationState, b: RevocationState): boolean {
  if (a.revoked === b.revoked) return true;
  // Same file bytes, same set. Different bytes are treated as a change (a re-signed CRL with the
  // same entries only costs a ticket-key rotation), which keeps a 100,000-entry swap O(1) here.
  if (a.fingerprint256 !== undefined && b.fingerprint256 !== undefined) return a.fingerprint256 === b.fingerprint256;
  if (a.revoked.size !== b.revoked.size) return false;
  for (const serial of a.revoked) if (!b.revoked.has(serial)) return false;
  return true;
}

/** True when every client must be refused: a stale CRL under refuse-all. */
export function isRefusingAll(state: RevocationState, policy: CrlExpiredPolicy, nowMs: number): boolean {
  return policy === 'refuse-all' && nowMs > state.staleAfterMs;
}
