// What the access line says about a connection and a request beyond the basics, under names an
// nginx or Envoy operator maps at once. Connection facts are read once, at the handshake.
import type { TLSSocket } from 'node:tls';

/** Per connection: read at the handshake, shared by every request on it. */
export interface ConnectionFacts {
  readonly remote: string | undefined;
  readonly remotePort: number | undefined;
  readonly tlsVersion: string | null;
  readonly tlsCipher: string | undefined;
  /** The connection's bytesRead when the previous answer on it finished (request_length). */
  readMark: number;
  /** Kept here: by the time the access line is written the request may be detached from it. */
  readonly socket: TLSSocket;
}

const kFacts = Symbol('streamfront.connectionFacts');
type FactSocket = TLSSocket & { [kFacts]?: ConnectionFacts };

export function recordConnectionFacts(socket: TLSSocket): void {
  (socket as FactSocket)[kFacts] = {
    remote: socket.remoteAddress,
    remotePort: socket.remotePort,
    tlsVersion: socket.getProtocol(),
    tlsCipher: socket.getCipher()?.name,
    readMark: 0,
    socket,
  };
}

export function connectionFactsOf(socket: TLSSocket): ConnectionFacts | undefined {
  return (socket as FactSocket)[kFacts];
}

/**
 * Bytes of the request as received (request line, headers, body), counted as the connection's
 * read bytes since the previous answer on it finished: nginx's $request_length.
 */
export function takeRequestBytes(facts: ConnectionFacts): number {
  const read = facts.socket.bytesRead;
  const bytes = read - facts.readMark;
  facts.readMark = read;
  return bytes;
}

const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}/;
const ZERO_TRACE = '0'.repeat(32);

/** The W3C trace id of a traceparent header, or undefined when absent or malformed. */
export function traceIdOf(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const id = TRACEPARENT.exec(header)?.[1];
  return id === undefined || id === ZERO_TRACE ? undefined : id;
}
