// HTTP/1.x corners that real clients and hostile ones reach and Node or Fastify leave to the
// application: 100-continue decided by the front, CONNECT answered, absolute-form targets,
// header field count and duplicate Host, and parse errors that must not eat pipelined answers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2SecureServer, Http2ServerResponse } from 'node:http2';
import type { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { markContinued } from '../proxy/early-answer.js';

/** HTTP/1.0 clients (curl --http1.0) offer only http/1.0 in ALPN; refusing it fails their handshake. */
export const ALPN_PROTOCOLS = ['http/1.1', 'http/1.0'];

export interface HeaderProblem {
  readonly status: 400 | 431;
  readonly body: string;
}

const TOO_MANY_FIELDS: HeaderProblem = { status: 431, body: '{"error":"too many request header fields"}' };
const DUPLICATE_HOST: HeaderProblem = { status: 400, body: '{"error":"more than one Host header field"}' };

/**
 * Node keeps at most maxHeadersCount fields and drops the rest silently, so the listener is set
 * one above the limit: a request that reaches it had more fields than allowed.
 */
export function headersCountSetting(maxFields: number): number {
  return maxFields + 1;
}

/** RFC 9112 3.2: a second Host is a 400; more fields than max_header_fields a 431. Node keeps only the first Host. */
export function findHeaderProblem(rawHeaders: readonly string[], maxFields: number): HeaderProblem | undefined {
  if (rawHeaders.length > maxFields * 2) return TOO_MANY_FIELDS;
  let hosts = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    if (name.length === 4 && name.toLowerCase() === 'host' && ++hosts > 1) return DUPLICATE_HOST;
  }
  return undefined;
}

const BLOCK_TOO_LARGE: HeaderProblem = { status: 431, body: '{"error":"request header fields too large"}' };

/**
 * The same rules for an HTTP/2 stream: its pseudo-header fields (:method, :path, ...) do not
 * count, and the block's size (names and values, as HTTP/1's limit counts its lines) is checked
 * here because Node enforces SETTINGS_MAX_HEADER_LIST_SIZE only once the client has acknowledged
 * it (then resetting the stream): a request sent right behind the preface is not checked by Node.
 */
export function findStreamHeaderProblem(
  rawHeaders: readonly string[],
  maxFields: number,
  maxBlockBytes: number,
): HeaderProblem | undefined {
  let fields = 0;
  let bytes = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    bytes += name.length + (rawHeaders[i + 1] as string).length;
    if (name.charCodeAt(0) !== 58 /* : */) fields++;
  }
  if (bytes > maxBlockBytes) return BLOCK_TOO_LARGE;
  return fields > maxFields ? TOO_MANY_FIELDS : undefined;
}

/**
 * RFC 9112 3.2.2: a server must accept the absolute form (GET https://host/path) and take the
 * host from it. The router and the proxy work on the origin form, so the target is cut to it
 * and the Host header set to the target's authority.
 */
export function toOriginForm(req: IncomingMessage): string {
  const url = req.url ?? '/';
  if (url.charCodeAt(0) === 47 /* / */ || url === '*') return url;
  const match = /^https?:\/\/([^/?#]*)(.*)$/i.exec(url);
  if (match === null) return url;
  const authority = match[1] as string;
  const rest = match[2] as string;
  if (authority !== '') req.headers.host = authority;
  return rest === '' ? '/' : rest.charCodeAt(0) === 47 ? rest : `/${rest}`;
}

/**
 * Decides Expect: 100-continue itself: Node would otherwise send 100 to every client at once,
 * and a refused or oversized upload would then be sent in full. Only a request the front will
 * proxy is told to continue; the others get their final answer (onRequest) without the body.
 */
export function installContinueGate(server: HttpsServer, shouldContinue: (req: IncomingMessage) => boolean): void {
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (shouldContinue(req)) {
      markContinued(req);
      res.writeContinue();
    }
    server.emit('request', req, res);
  });
}

const CONNECT_BODY = '{"error":"CONNECT is not supported: this is not a forward proxy"}';
const CONNECT_ALLOW = 'GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH';
const CONNECT_ANSWER =
  `HTTP/1.1 405 Method Not Allowed\r\nAllow: ${CONNECT_ALLOW}\r\n` +
  `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(CONNECT_BODY)}\r\nConnection: close\r\n\r\n${CONNECT_BODY}`;

/**
 * Node hands CONNECT to a 'connect' listener and destroys the socket without one: answer 405.
 * Over HTTP/2 (http2=on) the listener gets the stream's response object instead of a socket.
 */
export function installConnectAnswer(
  server: HttpsServer | Http2SecureServer,
  onAnswered: (req: IncomingMessage) => void,
): void {
  server.on('connect', (req: IncomingMessage, socket: Duplex) => {
    onAnswered(req);
    if (req.httpVersionMajor === 2) {
      const res = socket as unknown as Http2ServerResponse;
      res.writeHead(405, { allow: CONNECT_ALLOW, 'content-type': 'application/json; charset=utf-8' });
      res.end(CONNECT_BODY);
      return;
    }
    socket.end(CONNECT_ANSWER);
  });
}

function statusLine(code: string | undefined): string {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return '408 Request Timeout';
  if (code === 'HPE_HEADER_OVERFLOW') return '431 Request Header Fields Too Large';
  return '400 Bad Request';
}

/**
 * For Fastify's clientErrorHandler. Bytes after a request that said Connection: close
 * (HPE_CLOSED_CONNECTION) are ignored: the answers to the requests before it are still queued
 * and are delivered, then Node closes the connection. Other parse errors end the connection
 * with a status line, as Fastify does.
 */
export function handleClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'HPE_CLOSED_CONNECTION') return;
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const body = `{"error":"${statusLine(err.code).slice(4).toLowerCase()}"}`;
    socket.write(
      `HTTP/1.1 ${statusLine(err.code)}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
