import type { ErrorDef } from '../catalogue.js';

// Errors of the pure PKI rules (certificates, server key, CRL); each Finding carries one of
// these codes, and the loader turns error findings into StreamfrontErrors.
export const pkiErrors = {
  PKI_NOT_PEM_OR_DER: { summary: 'A certificate or CRL is neither PEM nor DER of the expected kind.', exitCode: 1 },
  PKI_CERT_UNPARSABLE: { summary: 'A certificate could not be parsed.', exitCode: 1 },
  PKI_CERT_NOT_RSA: { summary: 'A certificate carries a key that is not RSA.', exitCode: 1 },
  PKI_KEY_TOO_SMALL: { summary: 'An RSA key is shorter than 2048 bits.', exitCode: 1 },
  PKI_KEY_BELOW_ADVICE: { summary: 'An RSA key is shorter than the 3072 bits the SDK advises (warning).', exitCode: 1 },
  PKI_WEAK_SIGNATURE: {
    summary: 'A signature algorithm other than sha256/sha512 with RSA (PKCS#1 v1.5 or PSS).',
    exitCode: 1,
  },
  PKI_CA_NOT_CA: { summary: 'The CA certificate lacks basicConstraints CA:TRUE.', exitCode: 1 },
  PKI_CA_NO_KEY_CERT_SIGN: { summary: 'The CA certificate has a keyUsage without keyCertSign.', exitCode: 1 },
  PKI_CA_BUNDLE_DANGLING: {
    summary: 'A CA certificate of the bundle is not self-signed and does not chain to a root in the bundle.',
    exitCode: 1,
  },
  PKI_CERT_EXPIRED: { summary: 'A certificate is past its notAfter.', exitCode: 1 },
  PKI_CERT_NOT_YET_VALID: { summary: 'A certificate is before its notBefore.', exitCode: 1 },
  PKI_CERT_EXPIRES_SOON: { summary: 'A certificate has fewer than 30 days left (warning).', exitCode: 1 },
  PKI_CERT_NOT_SIGNED_BY_CA: {
    summary: 'The server certificate signature does not verify with the CA key.',
    exitCode: 1,
  },
  PKI_CERT_NO_SERVER_AUTH: {
    summary: 'The server certificate has an extendedKeyUsage without serverAuth.',
    exitCode: 1,
  },
  PKI_KEY_UNPARSABLE: { summary: 'The server key is not a PEM private key.', exitCode: 1 },
  PKI_KEY_NOT_ENCRYPTED: { summary: 'The server key is not encrypted.', exitCode: 1 },
  PKI_KEY_BAD_PASSWORD: { summary: 'The server key does not decrypt with the given password.', exitCode: 1 },
  PKI_KEY_NOT_RSA: { summary: 'The server key is not an RSA key.', exitCode: 1 },
  PKI_KEY_MISMATCH: { summary: 'The server key does not match the server certificate public key.', exitCode: 1 },
  PKI_CRL_UNPARSABLE: { summary: 'The CRL could not be parsed.', exitCode: 1 },
  PKI_CRL_WRONG_ISSUER: { summary: 'The CRL issuer is not the CA subject.', exitCode: 1 },
  PKI_CRL_MISSING_FOR_CA: {
    summary: 'A CA of the bundle has no CRL in the CRL file, so what it issued cannot be revoked (warning).',
    exitCode: 1,
  },
  PKI_CRL_BAD_SIGNATURE: { summary: 'The CRL signature does not verify with the CA key.', exitCode: 1 },
  PKI_CRL_WEAK_SIGNATURE: {
    summary: 'The CRL is signed with something other than sha256/sha512 with RSA.',
    exitCode: 1,
  },
  PKI_CRL_NOT_YET_VALID: { summary: 'The CRL thisUpdate is in the future.', exitCode: 1 },
  PKI_CRL_EXPIRED: { summary: 'The CRL nextUpdate has passed.', exitCode: 1 },
  PKI_CRL_REVOKES_SERVER: { summary: 'The CRL lists the server certificate.', exitCode: 1 },
  PKI_CRL_REVOKES_SERVER_CA: {
    summary: 'A CRL revokes a CA between the server certificate and its root.',
    exitCode: 1,
  },
  PKI_CRL_DELTA: {
    summary: 'The CRL is a delta CRL (deltaCRLIndicator); only complete CRLs are enforced.',
    exitCode: 1,
  },
  PKI_CRL_PARTIAL_SCOPE: {
    summary: "The CRL's issuingDistributionPoint limits it to part of the CA's certificates or reasons.",
    exitCode: 1,
  },
  PKI_CRL_INDIRECT: { summary: 'The CRL is indirect (indirectCRL, or an entry with certificateIssuer).', exitCode: 1 },
  PKI_CRL_UNKNOWN_CRITICAL_EXTENSION: {
    summary: 'The CRL or one of its entries has a critical extension streamfront does not know.',
    exitCode: 1,
  },
  PKI_CRL_REMOVE_FROM_CRL: {
    summary: 'A complete CRL has an entry with reason removeFromCRL (delta CRLs only).',
    exitCode: 1,
  },
} as const satisfies Record<string, ErrorDef>;
