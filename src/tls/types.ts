// The material shapes the TLS layer needs, written structurally so the loader's TlsMaterial
// fits without tls/ importing the loader (and so tests can hand in plain PEM strings).
import type { RevokedSerials } from '../pki/revoked-serials.js';
import type { ServingMetrics } from '../server/metrics.js';

/** The CrlSummary fields revocation needs. */
export interface FrontCrl {
  readonly revokedSerials: RevokedSerials;
  /** The CRL issuer folded for comparison (pki/issuer-key.ts): the set speaks only for that CA. */
  readonly issuerKey: string;
  readonly nextUpdate: Date | undefined;
  /** SHA-256 of the CRL file: equal bytes mean an equal set, without walking 100,000 serials. */
  readonly fingerprint256?: string;
  /** The sets of the file's further issuers (a CA bundle's intermediates or second root). */
  readonly otherIssuers?: readonly FrontIssuerCrl[];
}

export interface FrontIssuerCrl {
  readonly issuerKey: string;
  readonly revokedSerials: RevokedSerials;
}

/** The TlsMaterial fields the front needs (caPem, certPem, decrypted keyPem, parsed CRL). */
export interface FrontMaterial {
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
  readonly crl?: FrontCrl | undefined;
}
