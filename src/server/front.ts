// The mTLS front: Fastify over HTTPS with client certificates, per-connection identity,
// per-request revocation, live material swap and graceful shutdown; proxies to the engine.
import Fastify, { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { StreamfrontError } from '../errors/error.js';
import { engineProxy, isCutOffByEngine, kEngineSeconds } from '../proxy/plugin.js';
import { connectionFactsOf, recordConnectionFacts, takeRequestBytes, traceIdOf, type ConnectionFacts } from './access-fields.js';
import { buildRequestId } from '../proxy/request-id.js';
import { isDeclaredTooLarge } from '../proxy/body-limit.js';
import { engineRouteLabel } from '../proxy/route-label.js';
import { buildSecureContextOptions, validateSecureContext } from '../tls/context.js';
import { acceptPeer, peerOf, readPeerIdentity, refusalOf, refusePeer, type PeerIdentity, type PeerRefusal } from '../tls/peer.js';
import { parseRefusalReason, refusalAnswer } from '../tls/refusal.js';
import { buildRevocationState, isRevoked, isSameRevocation, type RevocationState } from '../tls/revocation.js';
import type { FrontMaterial, FrontMetrics, FrontServingConfig } from '../tls/types.js';
import { ConnectionBudget } from './connection-budget.js';
import { answerEarly } from '../proxy/early-answer.js';
import { ALPN_PROTOCOLS, findHeaderProblem, handleClientError, headersCountSetting, installConnectAnswer, installContinueGate, toOriginForm } from './http-edges.js';
import { closeGracefully, isIdle } from './lifecycle.js';
import { buildRateLimitedWriter } from './rate-limited-log.js';

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
const TOO_LARGE_JSON = '{"error":"request body too large"}';
const REVOKED = refusalAnswer('revoked');
const CRL_STALE = refusalAnswer('crl-stale');
/** An unaccepted connection with no recorded refusal cannot happen; answered as no certificate if it did. */
const UNKNOWN_REFUSAL: PeerRefusal = { reason: 'no-certificate' };
const TIMER_MAX_MS = 2 ** 31 - 1;
/** Refusals and turned-away connections are logged at most this often (the metrics count all). */
const REFUSAL_LOG_PER_SECOND = 10;
const REFUSAL_LOG_BURST = 50;

type PeeredRequest = FastifyRequest & { peer: PeerIdentity | null; conn: ConnectionFacts | null };
type UpstreamMarked = FastifyRequest['raw'] & { [kEngineSeconds]?: number };

// What an answer sent on its connection: the connection's byte count when the answer got the
// socket, and when it finished. Pipelined answers wait their turn for the socket, and the next
// one is written as soon as this one finishes, so both are taken at those two moments.
const kSentBefore = Symbol('streamfront.sentBefore');
const kSentAfter = Symbol('streamfront.sentAfter');
const kLogged = Symbol('streamfront.accessLogged');
type CountedResponse = ServerResponse & { [kSentBefore]?: number; [kSentAfter]?: number; [kLogged]?: boolean };

function onResponseSocket(this: CountedResponse, socket: Socket): void {
  this[kSentBefore] = socket.bytesWritten;
}

function onResponseFinish(this: CountedResponse): void {
  const socket = this.socket;
  if (socket !== null) this[kSentAfter] = socket.bytesWritten;
}

function countSentBytes(res: CountedResponse): void {
  if (res.socket !== null) res[kSentBefore] = res.socket.bytesWritten;
  else res.once('socket', onResponseSocket);
  // Prepended: Node's own 'finish' listener hands the socket to the next pipelined answer.
  res.prependListener('finish', onResponseFinish);
}

// An answer cut off after its head never finishes, so Fastify runs no hook for it: its 'close'
// records it. One shared listener and two properties per answer, no closure on the hot path.
const kReply = Symbol('streamfront.reply');
const kOnCutOff = Symbol('streamfront.onCutOff');
type WatchedResponse = ServerResponse & { [kReply]?: FastifyReply; [kOnCutOff]?: (reply: FastifyReply) => void };

function onAnswerClose(this: WatchedResponse): void {
  // Only an answer whose head went out and whose body did not: the others finish through onResponse.
  if (this.headersSent && !this.writableFinished) this[kOnCutOff]?.(this[kReply] as FastifyReply);
}

function watchCutOff(res: WatchedResponse, reply: FastifyReply, onCutOff: (reply: FastifyReply) => void): void {
  res[kReply] = reply;
  res[kOnCutOff] = onCutOff;
  res.on('close', onAnswerClose);
}

/** Bytes this answer sent, headers included (nginx's $bytes_sent). */
function sentBy(res: CountedResponse): number | undefined {
  const before = res[kSentBefore];
  const after = res[kSentAfter];
  return before === undefined || after === undefined ? undefined : after - before;
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
      // Node's default is 120 s: a client that never finishes its handshake holds a socket that long.
      handshakeTimeout: config.handshakeTimeoutMs,
      ALPNProtocols: ALPN_PROTOCOLS,
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
    rewriteUrl: toOriginForm,
    clientErrorHandler: handleClientError,
  });
  app.decorateRequest('peer', null);
  app.decorateRequest('conn', null);
  const server = app.server as unknown as HttpsServer;
  server.headersTimeout = Math.min(config.headerTimeoutMs, config.requestTimeoutMs);
  server.maxHeadersCount = headersCountSetting(config.maxHeaderFields);

  const logRefusal = buildRateLimitedWriter((fields, msg) => logger.warn(fields, msg), { perSecond: REFUSAL_LOG_PER_SECOND, burst: REFUSAL_LOG_BURST });
  const budget = new ConnectionBudget({
    maxAuthenticated: config.maxConnections,
    maxUnauthenticated: config.maxUnauthenticatedConnections,
    onTurnedAway: (reason, remote) => {
      metrics.countTurnedAway(reason);
      logRefusal({ reason, remote }, 'connection turned away');
    },
  });
  budget.attach(server);


  function countRefusal(refusal: PeerRefusal, remote: string | undefined, detail?: string): void {
    metrics.countRefusedHandshake(refusal.reason);
    logRefusal({ reason: refusal.reason, serial: refusal.serial, subject: refusal.subject, detail, remote }, 'refused TLS client');
  }

  server.on('tlsClientError', (err: Error, socket: TLSSocket) => {
    metrics.observeHandshake('failed', budget.secondsSinceConnect(socket));
    countRefusal({ reason: parseRefusalReason(err) }, socket.remoteAddress, (err as NodeJS.ErrnoException).code);
  });

  /**
   * The handshake is finished, so the client is told why in HTTP (onRequest answers every
   * request with the reason, proxies nothing, then closes). It stays in the unauthenticated
   * budget and has handshake_timeout_ms to send its request.
   */
  function refuseConnection(socket: TLSSocket, refusal: PeerRefusal, detail?: string): void {
    metrics.observeHandshake('refused', budget.secondsSinceConnect(socket));
    refusePeer(socket, refusal);
    countRefusal(refusal, socket.remoteAddress, detail);
    const deadline = setTimeout(() => socket.destroy(), config.handshakeTimeoutMs);
    deadline.unref();
    socket.once('close', () => clearTimeout(deadline));
  }

  // Prepended, so it runs before the HTTP server's own listener attaches a parser: requests sent
  // right behind the handshake already find the connection accepted or refused. Only accepted
  // connections get an identity, and onRequest proxies nothing without one.
  server.prependListener('secureConnection', (socket: TLSSocket) => {
    if (config.accessLog) recordConnectionFacts(socket);
    // A resumed session carries the peer certificate and verify result of the full handshake.
    const identity = readPeerIdentity(socket);
    if (identity === undefined) return refuseConnection(socket, { reason: 'no-certificate' });
    if (!socket.authorized) {
      const code = typeof socket.authorizationError === 'string' ? socket.authorizationError : String(socket.authorizationError);
      return refuseConnection(socket, { reason: parseRefusalReason(code), serial: identity.serial, subject: identity.subject }, code);
    }
    if (isRevoked(revocation, identity)) return refuseConnection(socket, { reason: 'revoked', serial: identity.serial, subject: identity.subject });
    if (sockets.size >= config.maxConnections) return refuseConnection(socket, { reason: 'too-many-connections', serial: identity.serial, subject: identity.subject });
    metrics.observeHandshake('accepted', budget.secondsSinceConnect(socket));
    budget.markAuthenticated(socket);
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

  // Told to continue: exactly the uploads onRequest will let through to the engine.
  installContinueGate(server, (req) => {
    const identity = peerOf(req.socket as TLSSocket);
    return (
      identity !== undefined &&
      !isRevoked(revocation, identity) &&
      !isRefusingAll &&
      !isDeclaredTooLarge(req.headers['content-length'], limitBytes) &&
      findHeaderProblem(req.rawHeaders, config.maxHeaderFields) === undefined
    );
  });
  installConnectAnswer(server, (req) => {
    metrics.observeRequest('other', 405);
    if (config.accessLog) logger.info({ method: req.method, path: req.url, status: 405, remote: req.socket.remoteAddress }, 'request');
  });

  // The hot path: one WeakMap lookup, one revocation-table probe and a walk over the raw header names; the
  // certificate was parsed at the handshake.
  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    reply.header('x-request-id', request.id);
    const socket = request.raw.socket as TLSSocket;
    countSentBytes(reply.raw);
    watchCutOff(reply.raw, reply, recordCutOff);
    (request as PeeredRequest).conn = connectionFactsOf(socket) ?? null;
    const identity = peerOf(socket);
    if (identity === undefined) {
      const refusal = refusalOf(socket) ?? UNKNOWN_REFUSAL;
      const refused = refusalAnswer(refusal.reason);
      return answerEarly(reply, refused.status, refused.body, true);
    }
    // Kept on the request: the socket may be gone by the time the access line is written.
    (request as PeeredRequest).peer = identity;
    const problem = findHeaderProblem(request.raw.rawHeaders, config.maxHeaderFields);
    if (problem !== undefined) return answerEarly(reply, problem.status, problem.body, true);
    if (isRevoked(revocation, identity)) {
      // Only a connection opened before the CRL revoked it gets here: new ones are refused at the handshake.
      metrics.countConnectionClosedRevoked();
      return answerEarly(reply, REVOKED.status, REVOKED.body, true);
    }
    if (isRefusingAll) return answerEarly(reply, CRL_STALE.status, CRL_STALE.body, true);
    if (isDeclaredTooLarge(request.headers['content-length'], limitBytes)) return answerEarly(reply, 413, TOO_LARGE_JSON, false);
    done();
  });

  /**
   * The one access line and request count of an answer. A finished answer comes through the
   * onResponse hook; one cut off after its head was sent never finishes, so Fastify runs no
   * hook for it, and the response's 'close' comes here with the cause instead.
   */
  function recordAnswer(request: FastifyRequest, reply: FastifyReply, cutOffBy?: 'engine' | 'client'): void {
    const raw = reply.raw as CountedResponse;
    if (raw[kLogged] === true) return;
    raw[kLogged] = true;
    const status = reply.statusCode;
    const path = pathOf(request.url);
    const pattern = request.routeOptions.url;
    // Everything proxied matches the catch-all; the engine's own path patterns say more.
    metrics.observeRequest(pattern === undefined || pattern === '/*' ? engineRouteLabel(path) : pattern, status);
    if (cutOffBy !== undefined) metrics.countTruncatedResponse(cutOffBy);
    if (config.accessLog) {
      const identity = (request as PeeredRequest).peer;
      const conn = (request as PeeredRequest).conn;
      const upstreamSeconds = (request.raw as UpstreamMarked)[kEngineSeconds];
      // Only refused connections have no identity: their line says why, and who they claimed to be.
      const refusal = identity === null ? refusalOf(request.raw.socket as TLSSocket) : undefined;
      logger.info(
        {
          requestId: request.id,
          traceId: traceIdOf(request.headers.traceparent),
          remote: conn?.remote,
          remotePort: conn?.remotePort,
          tlsVersion: conn?.tlsVersion,
          tlsCipher: conn?.tlsCipher,
          subject: identity?.subject ?? refusal?.subject,
          serial: identity?.serial ?? refusal?.serial,
          refused: refusal?.reason,
          method: request.method,
          path,
          userAgent: request.headers['user-agent'],
          status,
          // Bytes received, request line and headers included (nginx's $request_length).
          requestBytes: conn === null ? undefined : takeRequestBytes(conn),
          // Bytes sent to the client, headers included (nginx's $bytes_sent), chunked answers too.
          bytes: cutOffBy === undefined ? sentBy(raw) : undefined,
          // Only when the engine answered: a 502/504 made by the front has no upstream status.
          upstreamStatus: upstreamSeconds === undefined ? undefined : status,
          upstreamMs: upstreamSeconds === undefined ? undefined : Math.round(upstreamSeconds * 1e6) / 1000,
          durationMs: Math.round(reply.elapsedTime * 1000) / 1000,
          ...(cutOffBy === undefined ? {} : { outcome: 'truncated', cutOffBy }),
        },
        'request',
      );
    }
  }

  const recordCutOff = (reply: FastifyReply): void => recordAnswer(reply.request, reply, isCutOffByEngine(reply.request.raw) ? 'engine' : 'client');

  app.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    recordAnswer(request, reply);
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
      if (identity === undefined || !isRevoked(revocation, identity)) continue;
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
