// HTTP/2 on the front's TLS port (http2=on): the server options every session gets, which TLS
// connection a stream rides on (for its identity), and GOAWAY for revoked clients and the drain.
import type { IncomingMessage } from 'node:http';
import {
  constants,
  type Http2SecureServer,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type ServerHttp2Session,
  type ServerHttp2Stream,
  type Settings,
} from 'node:http2';
import type { TLSSocket } from 'node:tls';
import type { FrontServingConfig } from '../config/items.js';
import { REFUSAL_GOAWAY_GRACE_MS } from '../proxy/early-answer.js';

/** h2 first; http/1.0 is still offered, curl --http1.0 offers nothing else. */
export const ALPN_WITH_H2 = ['h2', 'http/1.1', 'http/1.0'];
/** Streams one client may have open at once on a connection (nginx's and Go's default is 100 to 250). */
export const MAX_CONCURRENT_STREAMS = 128;
/**
 * Receive windows. The protocol's 64 KiB lets a client have at most 64 KiB in flight per round
 * trip (6.5 MB/s at 10 ms); 1 MiB per stream and 2 MiB per connection lift that to LAN speed
 * while bounding what one client can make the front buffer. npm run bench:h2-windows: on
 * loopback the size makes no difference in speed, but with 4 MiB per connection Node's own h2
 * client (default maxSessionMemory) broke off parallel 15 MB uploads now and then; 2 MiB did not.
 */
export const STREAM_WINDOW_BYTES = 1024 * 1024;
export const CONNECTION_WINDOW_BYTES = 2 * 1024 * 1024;
/** The HTTP/2 pseudo-header fields a request carries (:method, :scheme, :authority, :path). */
const PSEUDO_FIELDS = 4;

/** The TLS connection, reachable through Node's HTTP/2 socket proxies (they forward symbol reads to it). */
const kConnection = Symbol('streamfront.tlsConnection');
const kSession = Symbol('streamfront.h2Session');

type MarkedSocket = TLSSocket & { [kConnection]?: TLSSocket; [kSession]?: ServerHttp2Session };

export interface Http2Options {
  readonly allowHTTP1: true;
  readonly settings: Settings;
  readonly maxHeaderListPairs: number;
}

/** HPACK counts 32 octets per field on top of its name and value (RFC 7541 4.1). */
const HPACK_FIELD_OVERHEAD = 32;

/**
 * Limits that match the HTTP/1 ones: the header block as large as max_header_size_kb, and as
 * many fields as such a block can hold, so that too many fields reach the front, which answers
 * 431 itself (as for HTTP/1, where Node keeps max_header_fields + 1); Node would reset the stream.
 * Node enforces the block size only once the client has acknowledged these settings: it then
 * resets a larger block's stream with ENHANCE_YOUR_CALM (docs/clients.md); before, the front answers 431.
 */
export function buildHttp2Options(
  config: Pick<FrontServingConfig, 'maxHeaderSizeKb' | 'maxHeaderFields'>,
): Http2Options {
  const blockBytes = config.maxHeaderSizeKb * 1024;
  return {
    allowHTTP1: true,
    settings: {
      maxConcurrentStreams: MAX_CONCURRENT_STREAMS,
      initialWindowSize: STREAM_WINDOW_BYTES,
      maxHeaderListSize: blockBytes,
      enablePush: false,
    },
    maxHeaderListPairs:
      Math.max(config.maxHeaderFields + 1, Math.ceil(blockBytes / HPACK_FIELD_OVERHEAD)) + PSEUDO_FIELDS,
  };
}

/** What node:https takes from the front's options and Node's HTTP/2 server does not. */
export interface Http1Settings {
  readonly keepAliveTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly maxHeaderSizeBytes: number;
  readonly connectionsCheckingIntervalMs: number;
}

/**
 * Node's HTTP/2 server hands HTTP/1 connections to the same parser as node:https, which reads its
 * settings from the server object; but it takes none of the options node:https would (Fastify
 * sets keep-alive and request timeouts on HTTP/1 servers only). Without this an HTTP/1.1 client
 * of an http2=on front would get no keep-alive timeout, Nagle's delay, Node's 16 KB header
 * limit whatever max_header_size_kb says, and no 400 for a request without Host.
 */
export function alignHttp1Fallback(server: Http2SecureServer, settings: Http1Settings): void {
  Object.assign(server, {
    keepAliveTimeout: settings.keepAliveTimeoutMs,
    requestTimeout: settings.requestTimeoutMs,
    maxHeaderSize: settings.maxHeaderSizeBytes,
    // Read when the server starts listening, to schedule the header and request timeout checks.
    connectionsCheckingInterval: settings.connectionsCheckingIntervalMs,
    requireHostHeader: true,
    rejectNonStandardBodyWrites: false,
    httpAllowHalfOpen: false,
    noDelay: true,
  });
}

/** RFC 7301 3.1: each protocol name preceded by its length in one byte. */
export function alpnWireFormat(protocols: readonly string[]): Buffer {
  return Buffer.concat(protocols.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p, 'latin1')])));
}

/**
 * An h2 request with a body and no content-length is what HTTP/1 calls chunked: marked so, Fastify
 * hands its body to the content parser (and so to the counting body limit) instead of skipping it.
 */
export function markUnsizedBody(req: IncomingMessage): void {
  const stream = (req as unknown as Http2ServerRequest).stream;
  if (!stream.endAfterHeaders && req.headers['content-length'] === undefined)
    req.headers['transfer-encoding'] = 'chunked';
}

/** The TLS connection a request came on: its socket for HTTP/1, the session's socket for a stream. */
export function connectionOf(req: IncomingMessage): TLSSocket {
  const socket = req.socket as MarkedSocket;
  return req.httpVersionMajor === 2 ? (socket[kConnection] ?? socket) : socket;
}

/** The HTTP/2 session on this connection, if it speaks h2. */
export function sessionOf(socket: TLSSocket): ServerHttp2Session | undefined {
  return (socket as MarkedSocket)[kSession];
}

/**
 * An answer the engine broke off after its head: on HTTP/1 the connection is destroyed and the
 * client sees the cut; on h2 ending the stream would look like a complete answer (END_STREAM),
 * so the stream is reset (INTERNAL_ERROR) and the client knows its body is short.
 */
export function resetCutOffStream(req: IncomingMessage): void {
  if (req.httpVersionMajor !== 2) return;
  const stream = (req as unknown as Http2ServerRequest).stream;
  if (!stream.closed) stream.close(constants.NGHTTP2_INTERNAL_ERROR);
}

const TIMEOUT_BODY = '{"error":"request timeout"}';

function onStreamTimeout(req: Http2ServerRequest, res: Http2ServerResponse): void {
  if (res.headersSent) {
    res.stream.close(constants.NGHTTP2_CANCEL);
    return;
  }
  res.writeHead(408, { 'content-type': 'application/json; charset=utf-8' });
  res.end(TIMEOUT_BODY);
  req.resume();
}

/**
 * request_timeout_ms for a stream: Node applies server.requestTimeout to HTTP/1 requests only.
 * A stream whose request has not fully arrived in time gets 408, or is reset if its answer started.
 */
export function limitStreamTime(req: IncomingMessage, res: object, ms: number): void {
  const stream = req as unknown as Http2ServerRequest;
  // A request without a body is complete with its headers: its answer may stream for as long
  // as the engine takes (as over HTTP/1, where the timeout ends when the request has arrived).
  if (stream.complete || stream.stream.endAfterHeaders) return;
  const timer = setTimeout(onStreamTimeout, ms, stream, res as Http2ServerResponse);
  stream.once('end', () => clearTimeout(timer));
  stream.once('close', () => clearTimeout(timer));
}

/** What a session's header-block watch remembers between two looks. */
interface BlockWatch {
  /** The highest stream id handed to the application. */
  seenStreamId: number;
  /** A block begun (nghttp2's last processed stream id) but not handed over, and since when. */
  pendingStreamId: number;
  pendingSinceMs: number;
  /** Streams the application has open: Node keeps a session with a stalled block open after GOAWAY. */
  openStreams: number;
  isEnding: boolean;
  /** Node's own close of this session (GOAWAY now, then close after the streams in flight). */
  close: () => void;
}

export interface H2SessionsOptions {
  /** header_timeout_ms (bounded by request_timeout_ms, as for HTTP/1): how long a header block may take. */
  readonly headerTimeoutMs: number;
}

/** Tracks the h2 sessions of an Http2SecureServer (allowHTTP1: HTTP/1 connections keep their own path). */
export class H2Sessions {
  readonly open = new Set<ServerHttp2Session>();
  private readonly watches = new WeakMap<ServerHttp2Session, BlockWatch>();
  private timer: NodeJS.Timeout | undefined;
  private isDraining = false;

  constructor(private readonly opts: H2SessionsOptions) {}

  attach(server: Http2SecureServer): void {
    // Node's HTTP/2 server replaces the ALPNProtocols option with h2 and http/1.1 only; the list
    // it offers is this wire-format field of the TLS server, read for every new connection.
    (server as unknown as { ALPNProtocols: Buffer }).ALPNProtocols = alpnWireFormat(ALPN_WITH_H2);
    // Runs before Node's own listener picks HTTP/1 or h2 by ALPN: Node falls back to HTTP/1 only
    // for 'http/1.1' (or none) and would start an h2 session for 'http/1.0'. The HTTP/1 parser
    // reads the version from the request line, so the connection is the same HTTP/1 one.
    server.prependListener('secureConnection', (socket: MarkedSocket) => {
      if (socket.alpnProtocol === 'http/1.0') socket.alpnProtocol = 'http/1.1';
      socket[kConnection] = socket;
    });
    server.on('session', (session: ServerHttp2Session) => {
      const socket = (session.socket as MarkedSocket)[kConnection] as MarkedSocket | undefined;
      if (socket !== undefined) socket[kSession] = session;
      this.open.add(session);
      const close = session.close.bind(session);
      this.watches.set(session, {
        seenStreamId: 0,
        pendingStreamId: 0,
        pendingSinceMs: 0,
        openStreams: 0,
        isEnding: false,
        close: () => close(),
      });
      // From Node 24 on, the server's close() closes every session itself (GOAWAY at once, with
      // streams in flight). During the drain that close is the drain's: GOAWAY when idle.
      session.close = (callback?: () => void): void => {
        if (!this.isDraining) return close(callback);
        if (callback !== undefined) session.once('close', callback);
        this.closeWhenIdle(session);
      };
      // A connection accepted as the drain began: it gets no stream of its own first.
      if (this.isDraining) this.closeWhenIdle(session);
      session.once('close', () => this.open.delete(session));
      session.once('connect', () => session.setLocalWindowSize(CONNECTION_WINDOW_BYTES));
    });
    server.on('stream', (stream: ServerHttp2Stream) => {
      const session = stream.session as ServerHttp2Session | undefined;
      const watch = session === undefined ? undefined : this.watches.get(session);
      if (session === undefined || watch === undefined || stream.id === undefined) return;
      watch.seenStreamId = Math.max(watch.seenStreamId, stream.id);
      watch.openStreams++;
      stream.once('close', () => {
        watch.openStreams--;
        if (watch.openStreams !== 0) return;
        if (watch.isEnding) session.destroy();
        else if (this.isDraining) setTimeout(() => this.closeWhenIdle(session), REFUSAL_GOAWAY_GRACE_MS).unref();
      });
    });
    const everyMs = Math.max(100, Math.min(1000, Math.floor(this.opts.headerTimeoutMs / 2)));
    this.timer = setInterval(() => this.closeStalledBlocks(Date.now()), everyMs);
    this.timer.unref();
  }

  /**
   * header_timeout_ms for h2. nghttp2 ends a block sent in more than 8 CONTINUATION frames (its
   * flood guard), but a block begun and then left unfinished, or trickled a frame at a time, has
   * no deadline but the session's idle timeout, which each frame restarts. A block has begun when
   * nghttp2's last processed stream id passes the last stream the application got; if that lasts
   * header_timeout_ms the session gets GOAWAY (ENHANCE_YOUR_CALM): its other streams finish.
   * A stream nghttp2 itself reset (oversized block, over the stream limit) looks the same until
   * the client opens another: such a session also ends, gracefully, if it opens none in time.
   */
  closeStalledBlocks(nowMs: number): void {
    for (const session of this.open) {
      const watch = this.watches.get(session);
      if (watch === undefined || watch.isEnding || session.closed || session.destroyed) continue;
      const last = session.state.lastProcStreamID ?? 0;
      if (last <= watch.seenStreamId) {
        watch.pendingStreamId = 0;
        continue;
      }
      if (watch.pendingStreamId !== last) {
        watch.pendingStreamId = last;
        watch.pendingSinceMs = nowMs;
        continue;
      }
      if (nowMs - watch.pendingSinceMs < this.opts.headerTimeoutMs) continue;
      // Node would keep the connection open after GOAWAY for the stalled block's stream, which
      // it never reports: it is destroyed once the application's streams have finished.
      session.goaway(constants.NGHTTP2_ENHANCE_YOUR_CALM);
      watch.isEnding = true;
      if (watch.openStreams === 0) session.destroy();
    }
  }

  /**
   * The drain: each session gets GOAWAY (no new streams, then the connection closes) once it has
   * no stream in flight, as an HTTP/1 connection gets Connection: close on its answer in flight.
   * A session with streams in flight gets it REFUSAL_GOAWAY_GRACE_MS after its last one closed,
   * and serves the streams its client opens meanwhile: httpx (httpcore) fails every stream in
   * flight when a GOAWAY arrives, even those the GOAWAY lets finish, and can read a GOAWAY sent
   * with the last answer before that answer. shutdown_grace_ms bounds the wait.
   */
  closeAll(): void {
    clearInterval(this.timer);
    this.isDraining = true;
    for (const session of this.open) this.closeWhenIdle(session);
  }

  private closeWhenIdle(session: ServerHttp2Session): void {
    if (session.closed || session.destroyed) return;
    const watch = this.watches.get(session);
    if (watch === undefined) session.close();
    else if (watch.openStreams === 0) watch.close();
  }
}
