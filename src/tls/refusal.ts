// Names a refused client by reason for the metrics and the log, from Node's authorizationError
// codes (OpenSSL X509_V_ERR names) or our own decisions, and says what the client is answered.
export type RefusalReason =
  | 'no-certificate'
  | 'unknown-ca'
  | 'expired'
  | 'not-yet-valid'
  | 'revoked'
  | 'crl-stale'
  | 'bad-certificate'
  | 'handshake-timeout'
  | 'handshake-failed'
  | 'too-many-connections';

export function parseRefusalReason(code: string | Error | undefined): RefusalReason {
  const c =
    typeof code === 'string' ? code : code === undefined ? '' : ((code as NodeJS.ErrnoException).code ?? code.message);
  if (c === 'CERT_HAS_EXPIRED') return 'expired';
  if (c === 'CERT_NOT_YET_VALID') return 'not-yet-valid';
  if (
    c === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' ||
    c === 'UNABLE_TO_GET_ISSUER_CERT' ||
    c === 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' ||
    c === 'SELF_SIGNED_CERT_IN_CHAIN' ||
    c === 'DEPTH_ZERO_SELF_SIGNED_CERT' ||
    c === 'CERT_SIGNATURE_FAILURE'
  )
    return 'unknown-ca';
  if (/PEER_DID_NOT_RETURN_A_CERTIFICATE|CERTIFICATE_REQUIRED/i.test(c)) return 'no-certificate';
  if (c === 'ERR_TLS_HANDSHAKE_TIMEOUT') return 'handshake-timeout';
  if (c.startsWith('CERT_') || c.startsWith('INVALID_')) return 'bad-certificate';
  return 'handshake-failed';
}

/** What a refused client reads: an HTTP answer naming the reason (then the connection closes). */
export interface RefusalAnswer {
  readonly status: number;
  /** JSON, built once per reason. */
  readonly body: string;
}

function answer(status: number, error: string, reason: RefusalReason): RefusalAnswer {
  return { status, body: JSON.stringify({ error, reason }) };
}

// nginx answers certificate problems with 400 and a sentence; the reason field lets a program
// tell them apart. Revocation is 403, as for a connection whose client a new CRL revoked.
const ANSWERS: { readonly [R in RefusalReason]: RefusalAnswer } = {
  'no-certificate': answer(400, 'client certificate required: the client sent none', 'no-certificate'),
  'unknown-ca': answer(400, 'client certificate not issued by a CA this server trusts', 'unknown-ca'),
  expired: answer(400, 'client certificate expired', 'expired'),
  'not-yet-valid': answer(400, 'client certificate not yet valid', 'not-yet-valid'),
  'bad-certificate': answer(400, 'client certificate invalid', 'bad-certificate'),
  revoked: answer(403, 'client certificate revoked', 'revoked'),
  'crl-stale': answer(503, 'revocation list expired; refusing all clients until a fresh CRL is installed', 'crl-stale'),
  'too-many-connections': answer(503, 'too many connections; try again later', 'too-many-connections'),
  // No handshake, no HTTP: these two are never answered, only counted and logged.
  'handshake-timeout': answer(408, 'TLS handshake not finished in time', 'handshake-timeout'),
  'handshake-failed': answer(400, 'TLS handshake failed', 'handshake-failed'),
};

export function refusalAnswer(reason: RefusalReason): RefusalAnswer {
  return ANSWERS[reason];
}
