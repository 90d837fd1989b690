// The Fastify plugin that forwards every request to the engine: bodies streamed both ways, our
// header rules, our error mapping, no silent retries.
//
// Through undici's dispatcher (engine-exchange.ts), below @fastify/reply-from and
// @fastify/http-proxy: the profile of a 1 KB request showed a fifth of the front's CPU in what
// those layers add on top of undici: three URL objects and a path check per request in
// http-proxy's route, and in reply-from a readable stream for the engine's answer that Fastify
// then pipes into the response with two end-of-stream watchers (docs/performance.md, "Below
// @fastify/reply-from"). Fastify still routes, runs the hooks, answers errors and logs.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { connectionOf, resetCutOffStream } from '../server/h2-sessions.js';
import { peerOf } from '../tls/peer.js';
import type { FrontServingConfig } from '../config/items.js';
import type { ServingMetrics } from '../server/metrics.js';
import { buildCountingLimit } from './body-limit.js';
import { answerEarly } from './early-answer.js';
import { mapEngineError } from './engine-errors.js';
import { EngineExchange, type ExchangeRules } from './engine-exchange.js';
import { buildEnginePool } from './engine-pool.js';
import { CLIMBING_TARGET_JSON, isClimbingTarget } from './engine-target.js';
import { buildDownstreamHeaders, buildUpstreamHeaders } from './headers.js';

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

/** Every path, and the methods @fastify/http-proxy used to register; CONNECT is answered before routing (server/http-edges.ts). */
const PROXIED_ROUTES = ['/', '/*'];
const PROXIED_METHODS = ['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT', 'OPTIONS'];

export const BODY_TOO_LARGE_JSON = '{"error":"request body too large"}';

/** Fastify refuses these as a reply code; an engine sending one has failed to answer. */
const HIGHEST_STATUS = 599;

class EngineStatusError extends Error {
  readonly code = 'STREAMFRONT_ENGINE_STATUS';
}

function errCodes(err: Error): { code: string | undefined; cause: string | undefined } {
  return {
    code: (err as NodeJS.ErrnoException).code,
    cause: (err.cause as NodeJS.ErrnoException | undefined)?.code,
  };
}

function buildRules(metrics: ServingMetrics): ExchangeRules {
  return {
    answerHead(reply: FastifyReply, statusCode: number, headers: IncomingHttpHeaders): OutgoingHttpHeaders {
      if (statusCode > HIGHEST_STATUS) throw new EngineStatusError(`the engine answered status ${statusCode}`);
      const raw = reply.request.raw as MarkedRequest;
      const start = raw[kEngineStart];
      if (start !== undefined) {
        const seconds = (performance.now() - start) / 1000;
        raw[kEngineSeconds] = seconds;
        metrics.observeEngineLatency(seconds);
      }
      const out = buildDownstreamHeaders(headers, reply.request.id);
      if (raw.httpVersionMajor === 2) delete out['http2-settings'];
      // An HTTP/1 connection is out of step while the client is still sending a body nobody
      // reads: it ends after this answer.
      else if (!raw.complete) out.connection = 'close';
      return out;
    },

    failBeforeAnswer(reply: FastifyReply, error: Error): void {
      const raw = reply.request.raw as MarkedRequest;
      if (raw[kBodyTooLarge] === true) {
        // The rest of the body is still coming: read and discarded (bounded) so the client reads the 413.
        answerEarly(reply, 413, BODY_TOO_LARGE_JSON, false);
        return;
      }
      const answer = mapEngineError(error, raw.destroyed && !raw.complete);
      const fields = { requestId: reply.request.id, err: errCodes(error), status: answer.status };
      if (answer.blame === 'engine') reply.log.warn(fields, 'engine fault');
      else if (answer.blame === 'front') reply.log.error(fields, 'proxy fault: the request could not be forwarded');
      else reply.log.info(fields, 'client went away mid-request');
      // Through answerEarly: an upload the engine never took is read and discarded (bounded), so
      // the connection serves the client's next request instead of stalling until it is reset.
      answerEarly(reply, answer.status, answer.body, false);
    },

    cutOffByEngine(reply: FastifyReply, error: Error): void {
      const raw = reply.request.raw as MarkedRequest;
      raw[kEngineCutOff] = true;
      // On h2 ending the stream would look like a complete answer: it is reset instead.
      resetCutOffStream(raw);
      reply.log.warn(
        { requestId: reply.request.id, err: errCodes(error) },
        'engine fault: the answer broke off mid-response; the client got a truncated body',
      );
    },
  };
}

export async function engineProxy(app: FastifyInstance, opts: EngineProxyOptions): Promise<void> {
  const limitBytes = opts.config.maxContentLengthKb * 1024;
  const rules = buildRules(opts.metrics);
  const pool = buildEnginePool(opts.config);
  app.addHook('onClose', async () => {
    await pool.destroy();
  });

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

  function forward(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const raw = request.raw as MarkedRequest;
    const url = raw.url as string;
    if (isClimbingTarget(url)) {
      answerEarly(reply, 400, CLIMBING_TARGET_JSON, false);
      return reply;
    }
    raw[kEngineStart] = performance.now();
    // Set only by the content-type parser, so only for methods that carry a body.
    const body = (request.body as NodeJS.ReadableStream | undefined) ?? null;
    const headers = buildUpstreamHeaders(raw.headers, peerOf(connectionOf(raw)), raw.socket.remoteAddress, request.id);
    new EngineExchange(reply, rules).start(pool, {
      path: url,
      method: raw.method as string,
      headers: headers as Record<string, string | string[]>,
      body: body as unknown as Readable | null,
    });
    return reply;
  }
  for (const url of PROXIED_ROUTES) app.route({ url, method: PROXIED_METHODS, handler: forward });
}
