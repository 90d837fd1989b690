// The revocation set the front enforces itself, per connection and per request.
// Why not OpenSSL's `crl` option: OpenSSL fails closed for EVERY client when the CRL has expired,
// is signed by another key or is missing for a CA of the chain; checking the leaf serial against
// a parsed set keeps the freshness policy (keep-enforcing / refuse-all) in our hands, lets a new
// CRL reach connections that are already open, and costs one hash-table probe per request.
// The set is keyed by issuer and serial: it only speaks for certificates its CA issued. With a
// CA bundle each CA's CRL is its own set, and every certificate of the client's chain below the
// root is checked against its issuer's set: a revoked intermediate takes its clients with it.
import { NO_REVOKED_SERIALS, type RevokedSerials } from '../pki/revoked-serials.js';
import type { PeerIdentity, RevocationKey } from './peer.js';
import type { FrontCrl } from './types.js';

export interface IssuerSet {
  readonly issuerKey: string;
  readonly revoked: RevokedSerials;
}

export interface RevocationState {
  readonly revoked: RevokedSerials;
  /** The CRL issuer, folded (pki/issuer-key.ts); '' when there is no CRL. */
  readonly issuerKey: string;
  /** The sets of further issuers in the CRL file; empty for a single CA. */
  readonly others: readonly IssuerSet[];
  /** ms since epoch after which the CRL is stale; Infinity when there is no CRL or no nextUpdate. */
  readonly staleAfterMs: number;
  readonly hasCrl: boolean;
  readonly fingerprint256?: string | undefined;
}

const NO_CRL: RevocationState = {
  revoked: NO_REVOKED_SERIALS,
  issuerKey: '',
  others: [],
  staleAfterMs: Infinity,
  hasCrl: false,
};

export function buildRevocationState(crl: FrontCrl | undefined): RevocationState {
  if (crl === undefined) return NO_CRL;
  return {
    revoked: crl.revokedSerials,
    issuerKey: crl.issuerKey,
    others: (crl.otherIssuers ?? []).map((o) => ({ issuerKey: o.issuerKey, revoked: o.revokedSerials })),
    staleAfterMs: crl.nextUpdate === undefined ? Infinity : crl.nextUpdate.getTime(),
    hasCrl: true,
    fingerprint256: crl.fingerprint256,
  };
}

/** One certificate against the set of its issuer: string compares and one table probe, no allocation. */
function isListed(state: RevocationState, key: RevocationKey): boolean {
  if (key.serialKey === undefined) return false;
  if (key.issuerKey === state.issuerKey) return state.revoked.hasKey(key.serialKey, key.serialHash);
  for (const other of state.others)
    if (key.issuerKey === other.issuerKey) return other.revoked.hasKey(key.serialKey, key.serialHash);
  return false;
}

/**
 * The per-request check with the keys the handshake computed: the client certificate, then each
 * intermediate of its chain (none when a root issued it, so a single CA costs what it always did).
 */
export function isRevoked(state: RevocationState, peer: PeerIdentity): boolean {
  if (isListed(state, peer)) return true;
  for (const link of peer.chain) if (isListed(state, link)) return true;
  return false;
}

function isSameOthers(a: readonly IssuerSet[], b: readonly IssuerSet[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((set, i) => {
    const other = b[i] as IssuerSet;
    if (set.issuerKey !== other.issuerKey || set.revoked.size !== other.revoked.size) return false;
    for (const serial of set.revoked) if (!other.revoked.has(serial)) return false;
    return true;
  });
}

export function isSameRevocation(a: RevocationState, b: RevocationState): boolean {
  if (a.revoked === b.revoked) return a.issuerKey === b.issuerKey && isSameOthers(a.others, b.others);
  // Same file bytes, same set. Different bytes are treated as a change (a re-signed CRL with the
  // same entries only costs a ticket-key rotation), which keeps a 1,000,000-entry swap O(1) here.
  if (a.fingerprint256 !== undefined && b.fingerprint256 !== undefined) return a.fingerprint256 === b.fingerprint256;
  if (a.issuerKey !== b.issuerKey || a.revoked.size !== b.revoked.size) return false;
  for (const serial of a.revoked) if (!b.revoked.has(serial)) return false;
  return isSameOthers(a.others, b.others);
}
