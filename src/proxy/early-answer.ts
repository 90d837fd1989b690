// Answers a request before its body was read (a refused client, a body over the limit) so that
// the client reads the answer. Closing a socket with unread bytes makes the kernel reset the
// connection, and a client still uploading then reports EPIPE or ECONNRESET instead of the
// status. So the rest of the body is read and thrown away, bounded in time and size (nginx's
// lingering close), and only then is the connection closed when the answer calls for it.
import type { FastifyReply } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';

/** Longest time spent reading and discarding a body after an early answer. */
export const DRAIN_MAX_MS = 10_000;
/**
 * Between a refused h2 stream's end and the GOAWAY: long enough for a client to have read the
 * answer on its own before the GOAWAY arrives, short next to the handshake-timeout budget that
 * bounds how long a refused connection may stay.
 */
export const REFUSAL_GOAWAY_GRACE_MS = 500;
/** A declared body larger than this is not drained: the connection closes right after the answer. */
export const DRAIN_MAX_BYTES = 128 * 1024 * 1024;

const JSON_TYPE = 'application/json; charset=utf-8';

/** Requests whose client was told 100 Continue, so its body is on the way. */
const continued = new WeakSet<IncomingMessage>();

export function markContinued(req: IncomingMessage): void {
  continued.add(req);
}

function hasUnreadBody(req: IncomingMessage): boolean {
  if (req.complete) return false;
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** After the answer, bytes still coming are discarded; the connection ends once they stop, or at the bound. */
function drainThenMaybeClose(req: IncomingMessage, mustClose: boolean): void {
  const socket = req.socket;
  const timer = setTimeout(() => socket.destroy(), DRAIN_MAX_MS);
  timer.unref();
  const finish = (): void => {
    clearTimeout(timer);
    if (mustClose && !socket.destroyed) socket.end();
  };
  req.once('end', finish);
  req.once('close', () => clearTimeout(timer));
  // A body someone had started to read (a pipe that failed) is no longer pulled by anyone.
  req.resume();
}

/**
 * Sends status and JSON body now. mustClose: the connection ends after this answer (refusals);
 * otherwise it stays usable once the unread body was discarded (413).
 */
export function answerEarly(reply: FastifyReply, status: number, body: string, mustClose: boolean): void {
  const req = reply.request.raw;
  reply.code(status).type(JSON_TYPE);
  if (req.httpVersionMajor === 2) {
    answerStream(reply, body, mustClose);
    return;
  }
  if (!hasUnreadBody(req)) {
    if (mustClose) reply.header('connection', 'close');
    reply.send(body);
    return;
  }
  const isBodyWithheld = req.headers.expect !== undefined && !continued.has(req);
  const declared = Number(req.headers['content-length'] ?? 0);
  if (isBodyWithheld || declared > DRAIN_MAX_BYTES) {
    // The client waits for 100 Continue before sending (or sends more than is worth reading):
    // closing now leaves nothing unread behind the answer.
    reply.header('connection', 'close').send(body);
    return;
  }
  if (!reply.raw.shouldKeepAlive) {
    // HTTP/1.0, or the client said Connection: close: Node ends the connection right after the
    // answer, unread body and all. So the body is read and discarded first (same bounds), then
    // the answer goes out, and Node's close leaves nothing unread behind it.
    readThenAnswer(req, reply, body);
    return;
  }
  // Without Connection: close Node keeps reading the request after the answer and throws the
  // body away; drainThenMaybeClose bounds that and ends the connection when asked.
  reply.send(body);
  drainThenMaybeClose(req, mustClose);
}

/**
 * An HTTP/2 stream: the answer ends the stream, the rest of its body is read and thrown away
 * (flow control bounds it). A refusal also sends GOAWAY: no new streams on this connection, and
 * those already open finish (each is refused on its own). The GOAWAY waits until the stream has
 * closed (or DRAIN_MAX_MS): nghttp2 sends it ahead of the answer's queued DATA otherwise, and
 * python-h2 (httpx http2=True) then drops the answer ("RECV_DATA in state CLOSED", h2 #1199).
 * Even after the stream closed, a GOAWAY that reaches httpx in the same read as the answer makes
 * httpcore raise ConnectionTerminated instead of returning the answer; so it waits a little more.
 */
function answerStream(reply: FastifyReply, body: string, mustClose: boolean): void {
  const req = reply.request.raw;
  reply.send(body);
  if (!req.complete) req.resume();
  if (!mustClose) return;
  const stream = (reply.raw as unknown as Http2ServerResponse).stream;
  // Taken now: a closed stream no longer knows its session.
  const session = stream.session;
  const goaway = (): void => {
    clearTimeout(timer);
    if (session !== undefined && !session.closed && !session.destroyed) session.close();
  };
  const timer = setTimeout(goaway, DRAIN_MAX_MS);
  timer.unref();
  const goawaySoon = (): void => {
    clearTimeout(timer);
    setTimeout(goaway, REFUSAL_GOAWAY_GRACE_MS).unref();
  };
  if (stream.closed) goawaySoon();
  else stream.once('close', goawaySoon);
}

function readThenAnswer(req: IncomingMessage, reply: FastifyReply, body: string): void {
  let isSent = false;
  const send = (): void => {
    if (isSent) return;
    isSent = true;
    clearTimeout(timer);
    if (!req.socket.destroyed) reply.send(body);
  };
  // Past the bound the answer goes out anyway; the client may then see a reset.
  const timer = setTimeout(send, DRAIN_MAX_MS);
  timer.unref();
  req.once('end', send);
  req.once('close', () => clearTimeout(timer));
  req.resume();
}
