// Names a refused handshake by reason for the metrics and the log, from Node's
// authorizationError codes (OpenSSL X509_V_ERR names) or our own revocation decision.
export type RefusalReason = 'no-certificate' | 'unknown-ca' | 'expired' | 'not-yet-valid' | 'revoked' | 'crl-stale' | 'bad-certificate' | 'handshake-failed';

export function parseRefusalReason(code: string | Error | undefined): RefusalReason {
  const c = typeof code === 'string' ? code : code === undefined ? '' : ((code as NodeJS.ErrnoException).code ?? code.message);
  if (c === 'CERT_HAS_EXPIRED') return 'expired';
  if (c === 'CERT_NOT_YET_VALID') return 'not-yet-valid';
  if (c === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' || c === 'UNABLE_TO_GET_ISSUER_CERT' || c === 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' || c === 'SELF_SIGNED_CERT_IN_CHAIN' || c === 'DEPTH_ZERO_SELF_SIGNED_CERT' || c === 'CERT_SIGNATURE_FAILURE') return 'unknown-ca';
  if (/PEER_DID_NOT_RETURN_A_CERTIFICATE|CERTIFICATE_REQUIRED/i.test(c)) return 'no-certificate';
  if (c.startsWith('CERT_') || c.startsWith('INVALID_')) return 'bad-certificate';
  return 'handshake-failed';
}
