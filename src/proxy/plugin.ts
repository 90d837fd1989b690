// The Fastify plugin that forwards every request to the engine through @fastify/reply-from (the
// core of @fastify/http-proxy): bodies streamed both ways, our header rules, our error mapping,
// no silent retries.
//
// reply-from directly, not through @fastify/http-proxy's routes: that wrapper parses three URLs
// and re-checks the path on every request for a prefix rewrite the front does not do, which
// reply-from's own destination check already covers (a path may not leave the engine's origin
// or climb with '..'). On 1 KB requests the wrapper cost about 11% of the front's CPU
// (docs/performance.md, "Below @fastify/http-proxy").
import replyFrom, { type FastifyReplyFromHooks } from '@fastify/reply-from';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import { connectionOf, resetCutOffStream } from '../server/h2-sessions.js';
import { peerOf } from '../tls/peer.js';
import type { FrontServingConfig } from '../config/items.js';
import type { ServingMetrics } from '../server/metrics.js';
import { buildCountingLimit } from './body-limit.js';
import { answerEarly } from './early-answer.js';
import { mapEngineError } from './engine-errors.js';
import { buildDownstreamHeaders, buildUpstreamHeaders } from './headers.js';

// The hooks are typed for HTTP/1 and HTTP/2 servers alike; they are used through node:http's
// types, which Node's HTTP/2 compatibility objects (http2=on) share for what is read here.
type HookRequest = Parameters<NonNullable<FastifyReplyFromHooks['rewriteRequestHeaders']>>[0];
type HookReply = Parameters<NonNullable<FastifyReplyFromHooks['onError']>>[0];
type EngineAnswer = Parameters<NonNullable<FastifyReplyFromHooks['onResponse']>>[2];
type HookHeaders = Parameters<NonNullable<FastifyReplyFromHooks['rewriteHeaders']>>[0];

export interface EngineProxyOptions {
  readonly config: Pick<FrontServingConfig, 'engineUrl' | 'engineTimeoutMs' | 'maxContentLengthKb'>;
  readonly metrics: ServingMetrics;
}

/** Set on the raw request when the counting limit tripped, so the engine error becomes a 413. */
export const kBodyTooLarge = Symbol('streamfront.bodyTooLarge');
const kEngineStart = Symbol('streamfront.engineStart');
/** Set on the raw request when the engine's answer head arrived: seconds it took (the access line's upstream time). */
export const kEngineSeconds = Symbol('streamfront.engineSeconds');
/** Set when the engine's answer broke off after its head went to the client. */
const kEngineCutOff = Symbol('streamfront.engineCutOff');

type MarkedRequest = FastifyRequest['raw'] & {
  [kBodyTooLarge]?: boolean;
  [kEngineStart]?: number;
  [kEngineSeconds]?: number;
  [kEngineCutOff]?: boolean;
};

/** Whether the engine, not the client, cut this request's answer short (for the access line). */
export function isCutOffByEngine(raw: FastifyRequest['raw']): boolean {
  return (raw as MarkedRequest)[kEngineCutOff] === true;
}

const kRequestOf = Symbol('streamfront.requestOf');
type WatchedBody = NodeJS.ReadableStream & { [kRequestOf]?: HookRequest };

function onEngineBodyError(this: WatchedBody, err: NodeJS.ErrnoException): void {
  const request = this[kRequestOf];
  if (request === undefined) return;
  (request.raw as MarkedRequest)[kEngineCutOff] = true;
  resetCutOffStream(request.raw as MarkedRequest);
  request.log.warn(
    { requestId: request.id, err: { code: err.code, cause: (err.cause as NodeJS.ErrnoException | undefined)?.code } },
    'engine fault: the answer broke off mid-response; the client got a truncated body',
  );
}

/** Every path and the methods @fastify/http-proxy registered; CONNECT is answered before routing (server/http-edges.ts). */
const PROXIED_ROUTES = ['/', '/*'];
const PROXIED_METHODS = ['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT', 'OPTIONS'];

export const BODY_TOO_LARGE_JSON = '{"error":"request body too large"}';

/** http://host:port as is; an absolute socket path as reply-from's unix+http form. */
export function buildUpstream(engineUrl: string): string {
  return engineUrl.startsWith('/') ? `unix+http://${encodeURIComponent(engineUrl)}` : engineUrl;
}

function noRetry(): null {
  // reply-from retries a GET that got 503 up to 10 times by default; the engine's answer is final.
  return null;
}

function rewriteRequestHeaders(request: HookRequest, headers: HookHeaders): IncomingHttpHeaders {
  const raw = request.raw as MarkedRequest;
  raw[kEngineStart] = performance.now();
  return buildUpstreamHeaders(
    headers as IncomingHttpHeaders,
    peerOf(connectionOf(raw)),
    raw.socket.remoteAddress,
    request.id,
  );
}

function rewriteHeaders(headers: HookHeaders, request: HookRequest | undefined): IncomingHttpHeaders {
  return buildDownstreamHeaders(
    headers as IncomingHttpHeaders,
    request === undefined ? '' : request.id,
  ) as IncomingHttpHeaders;
}

export async function engineProxy(app: FastifyInstance, opts: EngineProxyOptions): Promise<void> {
  const limitBytes = opts.config.maxContentLengthKb * 1024;
  const metrics = opts.metrics;

  // Bodies stay streams: no JSON parsing, no buffering. With a Content-Length (already checked
  // against the limit in onRequest) Node's parser delivers exactly that many bytes; without one
  // (chunked) a counting pass-through enforces the limit.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (request, payload, done) => {
    if (request.headers['content-length'] !== undefined) {
      done(null, payload);
      return;
    }
    const raw = request.raw as MarkedRequest;
    const counted = buildCountingLimit(limitBytes, () => {
      raw[kBodyTooLarge] = true;
    });
    payload.on('error', (err) => counted.destroy(err));
    done(null, payload.pipe(counted));
  });

  function onError(hookReply: HookReply, { error }: { error: Error }): void {
    const reply = hookReply as FastifyReply;
    const raw = reply.request.raw as MarkedRequest;
    if (raw[kBodyTooLarge] === true) {
      // The rest of the body is still coming: read and discarded (bounded) so the client reads the 413.
      answerEarly(reply, 413, BODY_TOO_LARGE_JSON, false);
      return;
    }
    const answer = mapEngineError(error, raw.destroyed && !raw.complete);
    const fields = {
      requestId: reply.request.id,
      err: {
        code: (error as NodeJS.ErrnoException).code,
        cause: (error.cause as NodeJS.ErrnoException | undefined)?.code,
      },
      status: answer.status,
    };
    if (answer.blame === 'engine') reply.log.warn(fields, 'engine fault');
    else if (answer.blame === 'front') reply.log.error(fields, 'proxy fault: the request could not be forwarded');
    else reply.log.info(fields, 'client went away mid-request');
    // Through answerEarly: an upload the engine never took is read and discarded (bounded), so
    // the connection serves the client's next request instead of stalling until it is reset.
    answerEarly(reply, answer.status, answer.body, false);
  }

  function onResponse(request: HookRequest, reply: HookReply, res: EngineAnswer): void {
    const raw = request.raw as MarkedRequest;
    const start = raw[kEngineStart];
    if (start !== undefined) {
      const seconds = (performance.now() - start) / 1000;
      raw[kEngineSeconds] = seconds;
      metrics.observeEngineLatency(seconds);
    }
    // Registered before reply.send, so the mark is set before Fastify destroys the response:
    // the client then holds a cut-off body, and the front's 'close' listener writes why.
    // One shared listener per answer, the request carried on the stream: no closure per request.
    (res.stream as WatchedBody)[kRequestOf] = request;
    res.stream.once('error', onEngineBodyError);
    reply.send(res.stream);
  }

  await app.register(replyFrom, {
    base: buildUpstream(opts.config.engineUrl),
    disableRequestLogging: true,
    undici: {
      connections: 256,
      pipelining: 1,
      headersTimeout: opts.config.engineTimeoutMs,
      bodyTimeout: opts.config.engineTimeoutMs,
      keepAliveTimeout: 4000,
    },
  });

  const hooks = {
    onError,
    onResponse,
    rewriteRequestHeaders,
    rewriteHeaders,
    retryDelay: noRetry,
    retriesCount: 0,
  } satisfies FastifyReplyFromHooks;
  function forward(_request: FastifyRequest, reply: FastifyReply): FastifyReply {
    // No source: reply-from takes the request's own path and query, as the client sent them.
    return reply.from(undefined, hooks);
  }
  for (const url of PROXIED_ROUTES) app.route({ url, method: PROXIED_METHODS, handler: forward });
}
