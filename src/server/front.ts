// The mTLS front: Fastify over HTTPS with client certificates, per-connection identity,
// per-request revocation, live material swap and graceful shutdown; proxies to the engine.
import { DescriptorWatch } from './descriptor-watch.js';
import Fastify, { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Http2SecureServer } from 'node:http2';
import type { Server as HttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { StreamfrontError } from '../errors/error.js';
import { isDeclaredTooLarge } from '../proxy/body-limit.js';
import { answerEarly } from '../proxy/early-answer.js';
import { engineProxy } from '../proxy/plugin.js';
import { buildRequestId } from '../proxy/request-id.js';
import { buildSecureContextOptions, validateSecureContext } from '../tls/context.js';
import { peerOf, refusalOf, type PeerRefusal } from '../tls/peer.js';
import { refusalAnswer } from '../tls/refusal.js';
import { TicketKeys, type TicketKeySource } from '../tls/ticket-keys.js';
import type { FrontServingConfig } from '../config/items.js';
import type { FrontMaterial } from '../tls/types.js';
import type { ServingMetrics } from './metrics.js';
import { AccessLog } from './access-log.js';
import {
  ALPN_PROTOCOLS,
  findHeaderProblem,
  findStreamHeaderProblem,
  handleClientError,
  headersCountSetting,
  installConnectAnswer,
  installContinueGate,
  toOriginForm,
} from './http-edges.js';
import {
  ALPN_WITH_H2,
  alignHttp1Fallback,
  buildHttp2Options,
  connectionOf,
  H2Sessions,
  limitStreamTime,
  markUnsizedBody,
} from './h2-sessions.js';
import { closeGracefully } from './lifecycle.js';
import './request-fields.js';
import { RevocationGuard, type CrlStatus } from './revocation-guard.js';
import { TlsGate } from './tls-gate.js';

export type { FrontServingConfig } from '../config/items.js';
export type { FrontMaterial } from '../tls/types.js';
export type { ServingMetrics } from './metrics.js';
export type { CrlStatus } from './revocation-guard.js';

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
  readonly metrics: ServingMetrics;
  /** Where the session-ticket key comes from: the front's own TicketKeys unless given (workers share one). */
  readonly ticketKeys?: TicketKeySource;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const TOO_LARGE_JSON = '{"error":"request body too large"}';
const REVOKED = refusalAnswer('revoked');
const CRL_STALE = refusalAnswer('crl-stale');
/** An unaccepted connection with no recorded refusal cannot happen; answered as no certificate if it did. */
const UNKNOWN_REFUSAL: PeerRefusal = { reason: 'no-certificate' };

export async function startFront<M extends FrontMaterial>(opts: StartFrontOptions<M>): Promise<FrontHandle<M>> {
  const { config, logger, metrics } = opts;
  let material = opts.material;
  const revocation = new RevocationGuard(material.crl, config.crlExpiredPolicy, logger);
  const limitBytes = config.maxContentLengthKb * 1024;

  const contextOptions = buildSecureContextOptions(config, material);
  validateSecureContext(contextOptions);

  const tlsOptions = {
    ...contextOptions,
    // Client certificates are required; we verify the outcome ourselves at 'secureConnection'
    // (rejectUnauthorized: false) because Node destroys a refused socket silently otherwise,
    // and refused handshakes must be counted and logged by reason.
    requestCert: true,
    rejectUnauthorized: false,
    // Node's default is 120 s: a client that never finishes its handshake holds a socket that long.
    handshakeTimeout: config.handshakeTimeoutMs,
    ALPNProtocols: config.http2 ? ALPN_WITH_H2 : ALPN_PROTOCOLS,
    maxHeaderSize: config.maxHeaderSizeKb * 1024,
    // Node checks request and header timeouts on this interval (30 s by default), so a
    // trickling client would outlive request_timeout_ms by up to 30 s without it.
    connectionsCheckingInterval: Math.max(100, Math.min(1000, config.headerTimeoutMs, config.requestTimeoutMs)),
  };
  const app = Fastify({
    loggerInstance: logger,
    // Our onResponse hook writes the one access line; Fastify's own two per request are off.
    logController: new LogController({ disableRequestLogging: true }),
    // No child logger per request (a pino child costs an allocation and a level set on every
    // request); the few per-request lines carry requestId themselves.
    childLoggerFactory: (parent) => parent,
    // http2=on: Node's HTTP/2 server, which hands HTTP/1 connections (ALPN http/1.x) to its HTTP/1
    // parser, so the edges below serve both. An idle session ends like an idle keep-alive connection.
    ...((config.http2
      ? {
          http2: true as const,
          https: { ...tlsOptions, ...buildHttp2Options(config) },
          http2SessionTimeout: config.keepAliveTimeoutMs,
          // The HTTP/2 server has no closeIdleConnections; closeGracefully closes connections itself.
          forceCloseConnections: false,
        }
      : { https: tlsOptions, forceCloseConnections: 'idle' as const }) as {
      https: typeof tlsOptions;
      forceCloseConnections: 'idle';
    }),
    keepAliveTimeout: config.keepAliveTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    bodyLimit: limitBytes,
    return503OnClosing: true,
    genReqId: (req) => buildRequestId(req.headers['x-request-id']),
    rewriteUrl: toOriginForm,
    clientErrorHandler: handleClientError,
  });
  app.decorateRequest('peer', null);
  app.decorateRequest('conn', null);
  const server = app.server as unknown as HttpsServer;
  server.headersTimeout = Math.min(config.headerTimeoutMs, config.requestTimeoutMs);
  server.maxHeadersCount = headersCountSetting(config.maxHeaderFields);
  const ticketKeys = (opts.ticketKeys ?? ((holder) => new TicketKeys(holder)))(server);
  const h2 = config.http2 ? new H2Sessions({ headerTimeoutMs: server.headersTimeout }) : undefined;
  if (h2 !== undefined) {
    h2.attach(server as unknown as Http2SecureServer);
    alignHttp1Fallback(server as unknown as Http2SecureServer, {
      keepAliveTimeoutMs: config.keepAliveTimeoutMs,
      requestTimeoutMs: config.requestTimeoutMs,
      maxHeaderSizeBytes: tlsOptions.maxHeaderSize,
      connectionsCheckingIntervalMs: tlsOptions.connectionsCheckingInterval,
    });
  }

  const gate = new TlsGate({ config, logger, metrics, revocation, caPem: material.caPem });
  gate.attach(server);
  const accessLog = new AccessLog({ config, logger, metrics });

  // Told to continue: exactly the uploads onRequest will let through to the engine.
  installContinueGate(server, (req) => {
    const identity = peerOf(connectionOf(req));
    return (
      identity !== undefined &&
      !revocation.isRevoked(identity) &&
      !revocation.isRefusingAll &&
      !isDeclaredTooLarge(req.headers['content-length'], limitBytes) &&
      findHeaderProblem(req.rawHeaders, config.maxHeaderFields) === undefined
    );
  });
  installConnectAnswer(server, (req) => {
    metrics.observeRequest('other', 405);
    if (config.accessLog)
      logger.info({ method: req.method, path: req.url, status: 405, remote: req.socket.remoteAddress }, 'request');
  });

  // The hot path: one WeakMap lookup, one revocation-table probe and a walk over the raw header names; the
  // certificate was parsed at the handshake.
  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    reply.header('x-request-id', request.id);
    const raw = request.raw;
    const isStream = raw.httpVersionMajor === 2;
    const socket = isStream ? connectionOf(raw) : (raw.socket as TLSSocket);
    accessLog.watch(request, reply);
    const identity = peerOf(socket);
    if (identity === undefined) {
      const refusal = refusalOf(socket) ?? UNKNOWN_REFUSAL;
      const refused = refusalAnswer(refusal.reason);
      return answerEarly(reply, refused.status, refused.body, true);
    }
    // Kept on the request: the socket may be gone by the time the access line is written.
    request.peer = identity;
    if (isStream) {
      metrics.countHttp2Request();
      limitStreamTime(raw, reply.raw, config.requestTimeoutMs);
      markUnsizedBody(raw);
    }
    const problem = isStream
      ? findStreamHeaderProblem(raw.rawHeaders, config.maxHeaderFields, config.maxHeaderSizeKb * 1024)
      : findHeaderProblem(raw.rawHeaders, config.maxHeaderFields);
    // An HTTP/1 connection may be out of step after a bad header block; an h2 stream is on its own.
    if (problem !== undefined) return answerEarly(reply, problem.status, problem.body, !isStream);
    if (revocation.isRevoked(identity)) {
      // Only a connection opened before the CRL revoked it gets here: new ones are refused at the handshake.
      gate.countClosedRevoked(socket);
      return answerEarly(reply, REVOKED.status, REVOKED.body, true);
    }
    if (revocation.isRefusingAll) return answerEarly(reply, CRL_STALE.status, CRL_STALE.body, true);
    if (isDeclaredTooLarge(request.headers['content-length'], limitBytes))
      return answerEarly(reply, 413, TOO_LARGE_JSON, false);
    done();
  });

  app.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    accessLog.record(request, reply);
    done();
  });

  app.setErrorHandler((err: Error & { statusCode?: number }, request, reply) => {
    const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    request.log.warn({ requestId: request.id, code: (err as NodeJS.ErrnoException).code, status }, 'request failed');
    reply
      .code(status)
      .type(JSON_TYPE)
      .send(JSON.stringify({ error: status === 500 ? 'internal error' : err.message.split('\n')[0] }));
  });

  await app.register(engineProxy, { config, metrics });

  try {
    await app.listen({ host: config.serverIp, port: config.serverPort });
  } catch (err) {
    throw new StreamfrontError(
      'FRONT_LISTEN',
      `cannot listen on ${config.serverIp}:${config.serverPort} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      {
        item: 'server_port',
        hint: 'choose a free server_ip/server_port in streamserver.conf or stop the process holding it',
        cause: err,
      },
    );
  }
  revocation.start();
  const descriptors = new DescriptorWatch({ logger });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.serverPort;
  logger.info({ serverName: config.serverName, address: config.serverIp, port }, 'front listening');

  return {
    port,
    get material() {
      return material;
    },
    get crlStatus(): CrlStatus {
      return revocation.status();
    },
    applyMaterial(next: M): void {
      const nextOptions = buildSecureContextOptions(config, next);
      validateSecureContext(nextOptions);
      server.setSecureContext(nextOptions);
      gate.useCaFile(next.caPem);
      const isChanged = revocation.replace(next.crl);
      material = next;
      if (isChanged) {
        // setSecureContext keeps the old ticket keys: a revoked client could resume with them.
        ticketKeys.rotate();
        const closed = gate.closeRevoked();
        logger.info({ revoked: revocation.revokedCount, closedConnections: closed }, 'revocation set changed');
      }
    },
    async shutdown(graceMs: number): Promise<void> {
      revocation.stop();
      ticketKeys.stop();
      descriptors.stop();
      logger.info({ graceMs, open: gate.accepted.size }, 'front shutting down');
      await closeGracefully(app, gate.accepted, graceMs, h2);
      logger.info('front closed');
    },
  };
}
