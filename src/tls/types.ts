// The minimal shapes the front needs from config, material and metrics, written structurally
// so the real FrontConfig / TlsMaterial / metrics registry fit without the front importing them.
import type { CrlExpiredPolicy } from '../config/items.js';
import type { RevokedSerials } from '../pki/revoked-serials.js';

/** The FrontConfig items the serving core reads (a structural subset of config's FrontConfig). */
export interface FrontServingConfig {
  readonly serverName: string;
  readonly serverIp: string;
  readonly serverPort: number;
  readonly engineUrl: string;
  readonly maxContentLengthKb: number;
  readonly cipherList: string;
  readonly engineTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly headerTimeoutMs: number;
  readonly maxHeaderSizeKb: number;
  readonly maxConnections: number;
  readonly maxUnauthenticatedConnections: number;
  readonly handshakeTimeoutMs: number;
  readonly maxHeaderFields: number;
  readonly accessLog: boolean;
  readonly crlExpiredPolicy: CrlExpiredPolicy;
}

/** The CrlSummary fields revocation needs. */
export interface FrontCrl {
  readonly revokedSerials: RevokedSerials;
  /** The CRL issuer folded for comparison (pki/issuer-key.ts): the set speaks only for that CA. */
  readonly issuerKey: string;
  readonly nextUpdate: Date | undefined;
  /** SHA-256 of the CRL file: equal bytes mean an equal set, without walking 100,000 serials. */
  readonly fingerprint256?: string;
}

/** The TlsMaterial fields the front needs (caPem, certPem, decrypted keyPem, parsed CRL). */
export interface FrontMaterial {
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
  readonly crl?: FrontCrl | undefined;
}

/** What the front reports to the metrics registry. */
export interface FrontMetrics {
  countRefusedHandshake(reason: string): void;
  observeRequest(route: string, status: number): void;
  /** Seconds from sending upstream to the engine's response head. */
  observeEngineLatency(seconds: number): void;
  /** An accepted TLS connection opened / closed (the open-connections gauge). */
  connectionOpened(): void;
  connectionClosed(): void;
  /** A TCP connection closed to make room in the unauthenticated budget, or dropped at the listener's ceiling. */
  countTurnedAway(reason: string): void;
  /** A connection opened before a CRL revoked its client, closed by the front. */
  countConnectionClosedRevoked(): void;
  /** An answer whose head was sent but whose body was cut off, by who cut it (engine or client). */
  countTruncatedResponse(cause: 'engine' | 'client'): void;
  /** Once per connection: how its TLS handshake ended and how long it took from the TCP connect. */
  observeHandshake(outcome: 'accepted' | 'refused' | 'failed', seconds: number | undefined): void;
}
