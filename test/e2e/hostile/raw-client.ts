// A TLS client that writes exact bytes and reads what comes back: what hostile or unusual
// clients do (pipelining, duplicate headers, uploading before reading, waiting for 100 Continue)
// and what HTTP libraries never let a test do.
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';

export interface RawExchange {
  /** Everything the front sent, as latin1 text (bodies here are JSON). */
  readonly received: string;
  /** The transport error the client saw, if any (EPIPE, ECONNRESET...). */
  readonly error: NodeJS.ErrnoException | undefined;
  readonly protocol: string | null;
  readonly alpn: string | false | null;
}

export interface RawOptions {
  readonly tls: ConnectionOptions;
  /** Written right after the handshake. */
  readonly head: string | Buffer;
  /** Written after head; with waitForContinue only once "100 Continue" arrived. */
  readonly body?: Buffer;
  readonly waitForContinue?: boolean;
  /** The exchange ends at the front's close, or after this long. */
  readonly timeoutMs?: number;
}

export function openTls(port: number, tls: ConnectionOptions): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ...tls });
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', reject);
  });
}

export async function exchange(port: number, opts: RawOptions): Promise<RawExchange> {
  const socket = await openTls(port, opts.tls);
  // Read now: a closed socket no longer reports them.
  const protocol = socket.getProtocol();
  const alpn = socket.alpnProtocol;
  return new Promise((resolve) => {
    let received = '';
    let error: NodeJS.ErrnoException | undefined;
    let isBodySent = false;
    const sendBody = (): void => {
      if (isBodySent || opts.body === undefined) return;
      isBodySent = true;
      socket.write(opts.body);
    };
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      received += chunk;
      if (opts.waitForContinue === true && received.includes('HTTP/1.1 100 Continue\r\n\r\n')) sendBody();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => (error ??= err));
    const timer = setTimeout(() => socket.destroy(), opts.timeoutMs ?? 15_000);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({ received, error, protocol, alpn });
    });
    socket.write(opts.head);
    if (opts.waitForContinue !== true) sendBody();
  });
}

export interface ParsedAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** Bytes of this answer on the wire, head and body. */
  readonly bytes: number;
}

/** Splits what the front sent into answers (Content-Length framing, which the front's JSON answers use). */
export function parseAnswers(received: string): ParsedAnswer[] {
  const answers: ParsedAnswer[] = [];
  let rest = received;
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n');
    if (end === -1) break;
    const lines = rest.slice(0, end).split('\r\n');
    const status = Number((lines[0] ?? '').split(' ')[1]);
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = status === 100 ? 0 : Number(headers['content-length'] ?? 0);
    const body = rest.slice(end + 4, end + 4 + length);
    answers.push({ status, headers, body, bytes: end + 4 + length });
    rest = rest.slice(end + 4 + length);
  }
  return answers;
}
