// The mTLS front: Fastify over HTTPS with client certificates, per-connection identity,
// per-request revocation, live material swap and graceful shutdown; proxies to the engine.
import Fastify, { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import type { Server as HttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { StreamfrontError } from '../errors/error.js';
import { engineProxy } from '../proxy/plugin.js';
import { buildRequestId } from '../proxy/request-id.js';
import { isDeclaredTooLarge } from '../proxy/body-limit.js';
import { engineRouteLabel } from '../proxy/route-label.js';
import { buildSecureContextOptions, validateSecureContext } from '../tls/context.js';
import { acceptPeer, peerOf, readPeerIdentity, type PeerIdentity } from '../tls/peer.js';
import { parseRefusalReason, type RefusalReason } from '../tls/refusal.js';
import { buildRevocationState, isSameRevocation, type RevocationState } from '../tls/revocation.js';
import type { FrontMaterial, FrontMetrics, FrontServingConfig } from '../tls/types.js';
import { closeGracefully, isIdle } from './lifecycle.js';

export type { FrontMaterial, FrontMetrics, FrontServingConfig } from '../tls/types.js';

export interface FrontHandle<M extends FrontMaterial = FrontMaterial> {
  /** The TLS port actually bound (server_port may be 0 in tests). */
  readonly port: number;
  /** Live swap; throws FRONT_TLS_CONTEXT (and keeps the old material) if the context can't be built. */
  applyMaterial(next: M): void;
  /** The material currently serving. */
  readonly material: M;
  /** The CRL as enforced now, for readiness and logs. */
  readonly crlStatus: CrlStatus;
  /** Stop accepting, let requests in flight finish within graceMs, then close. */
  shutdown(graceMs: number): Promise<void>;
}

export interface StartFrontOptions<M extends FrontMaterial> {
  readonly config: FrontServingConfig;
  readonly material: M;
  readonly logger: Logger;
  readonly metrics: FrontMetrics;
}

export interface CrlStatus {
  readonly hasCrl: boolean;
  /** nextUpdate has passed: the last CRL is still enforced, or every client refused (refuse-all). */
  readonly isExpired: boolean;
  readonly isRefusingAll: boolean;
  readonly entries: number;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const REVOKED_JSON = '{"error":"client certificate revoked"}';
const NO_CERT_JSON = '{"error":"client certificate required"}';
const STALE_CRL_JSON = '{"error":"revocation list expired; refusing all clients until a fresh CRL is installed"}';
const TOO_LARGE_JSON = '{"error":"request body too large"}';
const TIMER_MAX_MS = 2 ** 31 - 1;

type PeeredRequest = FastifyRequest & { peer: PeerIdentity | null; conn: TLSSocket | null; sentBefore: number };

/** Bytes this answer sent: the connection's count now minus its count when the request came. */
function sentBy(request: FastifyRequest): number | undefined {
  const { conn, sentBefore } = request as PeeredRequest;
  return conn === null ? undefined : conn.bytesWritten - sentBefore;
}

function pathOf(url: string): string {
  // Query strings may carry tokens: the access log keeps the path only.
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

export async function startFront<M extends FrontMaterial>(opts: StartFrontOptions<M>): Promise<FrontHandle<M>> {
  const { config, logger, metrics } = opts;
  let material = opts.material;
  let revocation: RevocationState = buildRevocationState(material.crl);
  let isRefusingAll = false;
  let staleTimer: NodeJS.Timeout | undefined;
  const limitBytes = config.maxContentLengthKb * 1024;
  const sockets = new Set<TLSSocket>();

  const contextOptions = buildSecureContextOptions(config, material);
  validateSecureContext(contextOptions);

  const app = Fastify({
    loggerInstance: logger,
    // Our onResponse hook writes the one access line; Fastify's own two per request are off.
    logController: new LogController({ disableRequestLogging: true }),
    // No child logger per request (a pino child costs an allocation and a level set on every
    // request); the few per-request lines carry requestId themselves.
    childLoggerFactory: (parent) => parent,
    https: {
      ...contextOptions,
      // Client certificates are required; we verify the outcome ourselves at 'secureConnection'
      // (rejectUnauthorized: false) because Node destroys a refused socket silently otherwise,
      // and refused handshakes must be counted and logged by reason.
      requestCert: true,
      rejectUnauthorized: false,
      maxHeaderSize: config.maxHeaderSizeKb * 1024,
      // Node checks request and header timeouts on this interval (30 s by default), so a
      // trickling client would outlive request_timeout_ms by up to 30 s without it.
      connectionsCheckingInterval: Math.max(100, Math.min(1000, config.headerTimeoutMs, config.requestTimeoutMs)),
    },
    keepAliveTimeout: config.keepAliveTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    bodyLimit: limitBytes,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    genReqId: (req) => buildRequestId(req.headers['x-request-id']),
  });
  app.decorateRequest('peer', null);
  app.decorateRequest('sentBefore', 0);
  app.decorateRequest('conn', null);
  const server = app.server as unknown as HttpsServer;
  server.maxConnections = config.maxConnections;
  server.headersTimeout = Math.min(config.headerTimeoutMs, config.requestTimeoutMs);

  function refuse(reason: RefusalReason, socket: TLSSocket | undefined, detail?: string): void {
    metrics.countRefusedHandshake(reason);
    logger.warn({ reason, detail, remote: socket?.remoteAddress }, 'refused TLS client');
  }

  server.on('tlsClientError', (err: Error, socket: TLSSocket) => {
    refuse(parseRefusalReason(err), socket, (err as NodeJS.ErrnoException).code);
  });

  // Prepended, so it runs before the HTTP server's own listener attaches a parser: a refused
  // connection is destroyed before any request bytes sent right behind the handshake are read.
  // (Only accepted connections get an identity, and onRequest proxies nothing without one.)
  server.prependListener('secureConnection', (socket: TLSSocket) => {
    // A resumed session carries the peer certificate and verify result of the full handshake.
    const identity = readPeerIdentity(socket);
    if (identity === undefined) {
      refuse('no-certificate', socket);
      socket.destroy();
      return;
    }
    if (!socket.authorized) {
      const code = typeof socket.authorizationError === 'string' ? socket.authorizationError : String(socket.authorizationError);
      refuse(parseRefusalReason(code), socket, code);
      socket.destroy();
      return;
    }
    if (revocation.revoked.has(identity.serial)) {
      refuse('revoked', socket, identity.serial);
      socket.destroy();
      return;
    }
    acceptPeer(socket, identity);
    sockets.add(socket);
    metrics.connectionOpened();
    socket.once('close', () => {
      sockets.delete(socket);
      metrics.connectionClosed();
    });
  });

  function armStaleTimer(): void {
    if (staleTimer !== undefined) clearTimeout(staleTimer);
    staleTimer = undefined;
    isRefusingAll = false;
    if (!revocation.hasCrl || revocation.staleAfterMs === Infinity) return;
    const delay = revocation.staleAfterMs - Date.now();
    if (delay <= 0) {
      markStale();
      return;
    }
    staleTimer = setTimeout(armStaleTimer, Math.min(delay + 1, TIMER_MAX_MS));
    staleTimer.unref();
  }

  function markStale(): void {
    if (config.crlExpiredPolicy === 'refuse-all') {
      isRefusingAll = true;
      logger.error({ nextUpdate: new Date(revocation.staleAfterMs).toISOString() }, 'CRL nextUpdate has passed: refusing all clients until a fresh CRL is installed (crl_expired_policy=refuse-all)');
    } else {
      logger.warn({ nextUpdate: new Date(revocation.staleAfterMs).toISOString() }, 'CRL nextUpdate has passed: still enforcing the last CRL (crl_expired_policy=keep-enforcing)');
    }
  }

  function answer(reply: FastifyReply, status: number, body: string): void {
    reply.code(status).header('connection', 'close').type(JSON_TYPE).send(body);
  }

  // The hot path: one WeakMap lookup and one Set lookup; the certificate was parsed at handshake.
  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    reply.header('x-request-id', request.id);
    const socket = request.raw.socket as TLSSocket;
    // What this answer sends is the connection's count at the end minus this (keep-alive reuses
    // it). The socket is kept here: request.raw.socket is gone once a closing answer is done.
    (request as PeeredRequest).conn = socket;
    (request as PeeredRequest).sentBefore = socket.bytesWritten;
    const identity = peerOf(socket);
    if (identity === undefined) return answer(reply, 403, NO_CERT_JSON);
    // Kept on the request: the socket may be gone by the time the access line is written.
    (request as PeeredRequest).peer = identity;
    if (revocation.revoked.has(identity.serial)) {
      // Only a connection opened before the CRL revoked it gets here: new ones are refused at the handshake.
      metrics.countConnectionClosedRevoked();
      return answer(reply, 403, REVOKED_JSON);
    }
    if (isRefusingAll) return answer(reply, 503, STALE_CRL_JSON);
    if (isDeclaredTooLarge(request.headers['content-length'], limitBytes)) return answer(reply, 413, TOO_LARGE_JSON);
    done();
  });

  app.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const status = reply.statusCode;
    const path = pathOf(request.url);
    const pattern = request.routeOptions.url;
    // Everything proxied matches the catch-all; the engine's own path patterns say more.
    metrics.observeRequest(pattern === undefined || pattern === '/*' ? engineRouteLabel(path) : pattern, status);
    if (config.accessLog) {
      const identity = (request as PeeredRequest).peer;
      logger.info(
        {
          requestId: request.id,
          subject: identity?.subject,
          serial: identity?.serial,
          method: request.method,
          path,
          status,
          // Bytes sent to the client, headers included (nginx's $bytes_sent), chunked answers too.
          bytes: sentBy(request),
          durationMs: Math.round(reply.elapsedTime * 1000) / 1000,
        },
        'request',
      );
    }
    done();
  });

  app.setErrorHandler((err: Error & { statusCode?: number }, request, reply) => {
    const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    request.log.warn({ requestId: request.id, code: (err as NodeJS.ErrnoException).code, status }, 'request failed');
    reply.code(status).type(JSON_TYPE).send(JSON.stringify({ error: status === 500 ? 'internal error' : err.message.split('\n')[0] }));
  });

  await app.register(engineProxy, { config, metrics });

  try {
    await app.listen({ host: config.serverIp, port: config.serverPort });
  } catch (err) {
    throw new StreamfrontError('FRONT_LISTEN', `cannot listen on ${config.serverIp}:${config.serverPort} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, {
      item: 'server_port',
      hint: 'choose a free server_ip/server_port in streamserver.conf or stop the process holding it',
      cause: err,
    });
  }
  armStaleTimer();
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.serverPort;
  logger.info({ serverName: config.serverName, address: config.serverIp, port }, 'front listening');

  function closeRevokedConnections(): number {
    let closed = 0;
    for (const socket of sockets) {
      const identity = peerOf(socket);
      if (identity === undefined || !revocation.revoked.has(identity.serial)) continue;
      // Busy ones finish their current answer; their next request gets 403 + close (onRequest).
      if (isIdle(socket)) {
        socket.destroy();
        metrics.countConnectionClosedRevoked();
        closed++;
      }
    }
    return closed;
  }

  return {
    port,
    get material() {
      return material;
    },
    get crlStatus(): CrlStatus {
      return { hasCrl: revocation.hasCrl, isExpired: Date.now() > revocation.staleAfterMs, isRefusingAll, entries: revocation.revoked.size };
    },
    applyMaterial(next: M): void {
      const nextOptions = buildSecureContextOptions(config, next);
      validateSecureContext(nextOptions);
      server.setSecureContext(nextOptions);
      const nextRevocation = buildRevocationState(next.crl);
      const isChanged = !isSameRevocation(revocation, nextRevocation) || nextRevocation.staleAfterMs !== revocation.staleAfterMs;
      material = next;
      revocation = nextRevocation;
      armStaleTimer();
      if (isChanged) {
        // setSecureContext keeps the old ticket keys: a revoked client could resume with them.
        server.setTicketKeys(randomBytes(48));
        const closed = closeRevokedConnections();
        logger.info({ revoked: revocation.revoked.size, closedConnections: closed }, 'revocation set changed');
      }
    },
    async shutdown(graceMs: number): Promise<void> {
      if (staleTimer !== undefined) clearTimeout(staleTimer);
      logger.info({ graceMs, open: sockets.size }, 'front shutting down');
      await closeGracefully(app, sockets, graceMs);
      logger.info('front closed');
    },
  };
}
