// The TLS gate: every connection from its TCP connect to a verdict at the end of its handshake.
// Accepted connections get their identity (read once, for every request on them); refused ones
// are told why in HTTP by the request gate and stay in the unauthenticated budget meanwhile.
// Refusals and turned-away connections are counted and logged, the log through a token bucket.
import type { Http2SecureServer } from 'node:http2';
import type { Server as HttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { acceptPeer, peerOf, refusePeer, type PeerRefusal } from '../tls/peer.js';
import { PeerReader } from '../tls/peer-reader.js';
import { parseRefusalReason } from '../tls/refusal.js';
import type { FrontServingConfig } from '../config/items.js';
import type { ServingMetrics } from './metrics.js';
import { recordConnectionFacts } from './access-fields.js';
import { ConnectionBudget } from './connection-budget.js';
import { sessionOf } from './h2-sessions.js';
import { isIdle } from './lifecycle.js';
import { buildRateLimitedWriter } from './rate-limited-log.js';
import type { RevocationGuard } from './revocation-guard.js';

/** Refusals and turned-away connections are logged at most this often (the metrics count all). */
const REFUSAL_LOG_PER_SECOND = 10;
const REFUSAL_LOG_BURST = 50;

export interface TlsGateOptions {
  readonly config: Pick<
    FrontServingConfig,
    'maxConnections' | 'maxUnauthenticatedConnections' | 'handshakeTimeoutMs' | 'accessLog'
  >;
  readonly logger: Logger;
  readonly metrics: ServingMetrics;
  readonly revocation: RevocationGuard;
  /** The CA file the clients are verified with: the chains of the identities come from it. */
  readonly caPem: string;
}

export class TlsGate {
  /** Accepted connections, for the max_connections count, revocation and the drain. */
  readonly accepted = new Set<TLSSocket>();
  /** Connections already counted as closed for revocation: an h2 session refuses each of its streams. */
  private readonly countedRevoked = new WeakSet<TLSSocket>();
  private readonly budget: ConnectionBudget;
  private readonly logRefusal: (fields: Record<string, unknown>, msg: string) => void;
  private readonly peers: PeerReader;

  constructor(private readonly opts: TlsGateOptions) {
    const { logger, metrics, config } = opts;
    this.peers = new PeerReader(opts.caPem);
    this.logRefusal = buildRateLimitedWriter((fields, msg) => logger.warn(fields, msg), {
      perSecond: REFUSAL_LOG_PER_SECOND,
      burst: REFUSAL_LOG_BURST,
    });
    this.budget = new ConnectionBudget({
      maxAuthenticated: config.maxConnections,
      maxUnauthenticated: config.maxUnauthenticatedConnections,
      onTurnedAway: (reason, remote) => {
        metrics.countTurnedAway(reason);
        this.logRefusal({ reason, remote }, 'connection turned away');
      },
    });
  }

  attach(server: HttpsServer | Http2SecureServer): void {
    this.budget.attach(server);
    server.on('tlsClientError', (err: Error, socket: TLSSocket) => {
      this.opts.metrics.observeHandshake('failed', this.budget.secondsSinceConnect(socket));
      this.countRefusal({ reason: parseRefusalReason(err) }, socket.remoteAddress, (err as NodeJS.ErrnoException).code);
    });
    // Prepended, so it runs before the HTTP server's own listener attaches a parser: requests
    // sent right behind the handshake already find the connection accepted or refused. Only
    // accepted connections get an identity, and nothing is proxied without one.
    server.prependListener('secureConnection', (socket: TLSSocket) => this.admit(socket));
  }

  /** A reload's CA file: connections from now on are read against it (setSecureContext verifies with it). */
  useCaFile(caPem: string): void {
    this.peers.useCaFile(caPem);
  }

  /** Closes the idle accepted connections whose client is now revoked; busy ones are refused at their next request. */
  closeRevoked(): number {
    let closed = 0;
    for (const socket of this.accepted) {
      const identity = peerOf(socket);
      if (identity === undefined || !this.opts.revocation.isRevoked(identity)) continue;
      const session = sessionOf(socket);
      if (session !== undefined) {
        // GOAWAY: no new streams; each open one is refused at its own revocation check or finishes.
        if (!session.closed) {
          session.close();
          this.countClosedRevoked(socket);
          closed++;
        }
        continue;
      }
      if (isIdle(socket)) {
        socket.destroy();
        this.countClosedRevoked(socket);
        closed++;
      }
    }
    return closed;
  }

  /**
   * streamfront_revoked_connections_closed_total counts connections: an HTTP/1 connection ends
   * with its one refused request, but an h2 session refuses every stream still arriving after
   * its GOAWAY, and each of them comes here.
   */
  countClosedRevoked(socket: TLSSocket): void {
    if (this.countedRevoked.has(socket)) return;
    this.countedRevoked.add(socket);
    this.opts.metrics.countConnectionClosedRevoked();
  }

  private admit(socket: TLSSocket): void {
    const { config, metrics, revocation } = this.opts;
    if (config.accessLog) recordConnectionFacts(socket);
    // A resumed session carries the peer certificate and verify result of the full handshake.
    const identity = this.peers.read(socket);
    if (identity === undefined) return this.refuse(socket, { reason: 'no-certificate' });
    const claimed = { serial: identity.serial, subject: identity.subject };
    if (!socket.authorized) {
      const code =
        typeof socket.authorizationError === 'string' ? socket.authorizationError : String(socket.authorizationError);
      return this.refuse(socket, { reason: parseRefusalReason(code), ...claimed }, code);
    }
    if (revocation.isRevoked(identity)) return this.refuse(socket, { reason: 'revoked', ...claimed });
    if (this.accepted.size >= config.maxConnections)
      return this.refuse(socket, { reason: 'too-many-connections', ...claimed });
    metrics.observeHandshake('accepted', this.budget.secondsSinceConnect(socket));
    this.budget.markAuthenticated(socket);
    acceptPeer(socket, identity);
    this.accepted.add(socket);
    metrics.connectionOpened();
    socket.once('close', () => {
      this.accepted.delete(socket);
      metrics.connectionClosed();
    });
  }

  /**
   * The handshake is finished, so the client is told why in HTTP (every request answered with
   * the reason, nothing proxied, then close). It stays in the unauthenticated budget and has
   * handshake_timeout_ms to send its request.
   */
  private refuse(socket: TLSSocket, refusal: PeerRefusal, detail?: string): void {
    this.opts.metrics.observeHandshake('refused', this.budget.secondsSinceConnect(socket));
    refusePeer(socket, refusal);
    this.countRefusal(refusal, socket.remoteAddress, detail);
    const deadline = setTimeout(() => socket.destroy(), this.opts.config.handshakeTimeoutMs);
    deadline.unref();
    socket.once('close', () => clearTimeout(deadline));
  }

  private countRefusal(refusal: PeerRefusal, remote: string | undefined, detail?: string): void {
    this.opts.metrics.countRefusedHandshake(refusal.reason);
    this.logRefusal(
      { reason: refusal.reason, serial: refusal.serial, subject: refusal.subject, detail, remote },
      'refused TLS client',
    );
  }
}
