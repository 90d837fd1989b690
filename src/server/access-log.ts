// The one access line and request count of every answer: what it sent on its connection, who
// asked, how the engine did, and answers cut off after their head. Fastify runs no hook for an
// answer that never finishes, so each answer is also watched for a 'close' before its end.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { isCutOffByEngine, kEngineSeconds } from '../proxy/plugin.js';
import { engineRouteLabel } from '../proxy/route-label.js';
import { refusalOf } from '../tls/peer.js';
import type { FrontServingConfig } from '../config/items.js';
import type { ServingMetrics } from './metrics.js';
import { connectionOf } from './h2-sessions.js';
import { connectionFactsOf, takeRequestBytes, traceIdOf } from './access-fields.js';
import './request-fields.js';

type CutOffBy = 'engine' | 'client';
type UpstreamMarked = FastifyRequest['raw'] & { [kEngineSeconds]?: number };

// What an answer sent on its connection: the connection's byte count when the answer got the
// socket, and when it finished. Pipelined answers wait their turn for the socket, and the next
// one is written as soon as this one finishes, so both are taken at those two moments.
const kSentBefore = Symbol('streamfront.sentBefore');
const kSentAfter = Symbol('streamfront.sentAfter');
const kLogged = Symbol('streamfront.accessLogged');
// An answer cut off after its head never finishes: its 'close' records it. One shared listener
// and two properties per answer, no closure on the hot path.
const kReply = Symbol('streamfront.reply');
const kRecorder = Symbol('streamfront.recorder');

type WatchedResponse = ServerResponse & {
  [kSentBefore]?: number;
  [kSentAfter]?: number;
  [kLogged]?: boolean;
  [kReply]?: FastifyReply;
  [kRecorder]?: AccessLog;
};

function onResponseSocket(this: WatchedResponse, socket: Socket): void {
  this[kSentBefore] = socket.bytesWritten;
}

function onResponseFinish(this: WatchedResponse): void {
  const socket = this.socket;
  if (socket !== null) this[kSentAfter] = socket.bytesWritten;
}

function onResponseClose(this: WatchedResponse): void {
  // Only an answer whose head went out and whose body did not: the others finish through onResponse.
  if (!this.headersSent || this.writableFinished) return;
  const reply = this[kReply] as FastifyReply;
  this[kRecorder]?.record(reply.request, reply, isCutOffByEngine(reply.request.raw) ? 'engine' : 'client');
}

/**
 * Node ends an h2 answer with 'finish' even when its stream was reset, so the cut is read from
 * the request: marked by the proxy when the engine broke off, aborted when the client reset it.
 */
function streamCutOffBy(raw: FastifyRequest['raw'], res: WatchedResponse): CutOffBy | undefined {
  if (isCutOffByEngine(raw)) return 'engine';
  return (raw as { aborted?: boolean }).aborted === true && res.headersSent ? 'client' : undefined;
}

/** Bytes this answer sent, headers included (nginx's $bytes_sent). */
function sentBy(res: WatchedResponse): number | undefined {
  const before = res[kSentBefore];
  const after = res[kSentAfter];
  return before === undefined || after === undefined ? undefined : after - before;
}

function pathOf(url: string): string {
  // Query strings may carry tokens: the access log keeps the path only.
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

export interface AccessLogOptions {
  readonly config: Pick<FrontServingConfig, 'accessLog'>;
  readonly logger: Logger;
  readonly metrics: ServingMetrics;
}

export class AccessLog {
  constructor(private readonly opts: AccessLogOptions) {}

  /** At the start of a request: takes the byte marks and watches for a cut-off answer. */
  watch(request: FastifyRequest, reply: FastifyReply): void {
    const res = reply.raw as WatchedResponse;
    res[kReply] = reply;
    res[kRecorder] = this;
    res.on('close', onResponseClose);
    // An h2 stream shares its connection's byte counts with the other streams: no byte fields.
    if (request.raw.httpVersionMajor === 2) {
      request.conn = connectionFactsOf(connectionOf(request.raw)) ?? null;
      return;
    }
    if (res.socket !== null) res[kSentBefore] = res.socket.bytesWritten;
    else res.once('socket', onResponseSocket);
    // Prepended: Node's own 'finish' listener hands the socket to the next pipelined answer.
    res.prependListener('finish', onResponseFinish);
    request.conn = connectionFactsOf(request.raw.socket as TLSSocket) ?? null;
  }

  /** The answer's one line and count: from onResponse, or from its 'close' when it was cut off. */
  record(request: FastifyRequest, reply: FastifyReply, cutOff?: CutOffBy): void {
    const res = reply.raw as WatchedResponse;
    if (res[kLogged] === true) return;
    res[kLogged] = true;
    const cutOffBy = cutOff ?? (request.raw.httpVersionMajor === 2 ? streamCutOffBy(request.raw, res) : undefined);
    const { config, logger, metrics } = this.opts;
    const status = reply.statusCode;
    const path = pathOf(request.url);
    const pattern = request.routeOptions.url;
    // Everything proxied matches the catch-all; the engine's own path patterns say more.
    metrics.observeRequest(pattern === undefined || pattern === '/*' ? engineRouteLabel(path) : pattern, status);
    if (cutOffBy !== undefined) metrics.countTruncatedResponse(cutOffBy);
    if (!config.accessLog) return;
    const identity = request.peer;
    const conn = request.conn;
    const upstreamSeconds = (request.raw as UpstreamMarked)[kEngineSeconds];
    // Only refused connections have no identity: their line says why, and who they claimed to be.
    const isStream = request.raw.httpVersionMajor === 2;
    const refusal = identity === null ? refusalOf(connectionOf(request.raw)) : undefined;
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
        protocol: isStream ? 'h2' : undefined,
        userAgent: request.headers['user-agent'],
        status,
        // Bytes received, request line and headers included (nginx's $request_length).
        requestBytes: conn === null || isStream ? undefined : takeRequestBytes(conn),
        // Bytes sent to the client, headers included (nginx's $bytes_sent), chunked answers too.
        bytes: cutOffBy === undefined ? sentBy(res) : undefined,
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
