// The interop matrix as data: the cells every client runs, what each must see, and the JSON
// a client process reads (BatchSpec, on stdin) and prints (BatchReport, on stdout).
// Pure: no I/O, so the clients in other languages and the checks agree on one description.

/** What a cell sends. `keep-alive` is KEEP_ALIVE_REQUESTS small requests on one connection. */
export type CellKind = 'keep-alive' | '1k' | '5m' | '15m' | 'chunked' | 'over-limit';
export type CertKind = 'rsa' | 'ec';

const KIB = 1024;
const MIB = 1024 * KIB;

/** The shipped default (config/streamserver.conf); the matrix keeps it so 15 MB passes. */
export const MAX_CONTENT_LENGTH_KB = 20480;
export const KEEP_ALIVE_REQUESTS = 20;
/** Per request: generous on a busy 2-core machine; a hang fails its cell, not the suite. */
export const REQUEST_TIMEOUT_MS = 30_000;

/** Body size of each kind; the over-limit body is 21 MiB against the 20 MiB limit. */
export const BODY_BYTES: Readonly<Record<CellKind, number>> = {
  'keep-alive': 1 * KIB,
  '1k': 1 * KIB,
  '5m': 5 * MIB,
  '15m': 15 * MIB,
  chunked: 5 * MIB,
  'over-limit': 21 * MIB,
};

/**
 * The order a batch runs in: keep-alive first, so its first request opens the connection the
 * other 19 must reuse; over-limit last, because the front closes the connection after a 413.
 */
export const CELL_ORDER: readonly CellKind[] = ['keep-alive', '1k', '5m', '15m', 'chunked', 'over-limit'];

export function expectedStatus(kind: CellKind): number {
  return kind === 'over-limit' ? 413 : 200;
}

/** `keepAliveConnections`: see ClientRunner; null for a client that keeps nothing alive. */
export function describeCell(kind: CellKind, keepAliveConnections: number | null = 1): string {
  switch (kind) {
    case 'keep-alive':
      if (keepAliveConnections === null) return `${KEEP_ALIVE_REQUESTS} requests of 1 KB, one after the other`;
      return `${KEEP_ALIVE_REQUESTS} requests of 1 KB on ${keepAliveConnections === 1 ? 'one keep-alive connection' : `at most ${keepAliveConnections} keep-alive connections`}`;
    case '1k':
      return '1 KB body';
    case '5m':
      return '5 MB body';
    case '15m':
      return '15 MB body';
    case 'chunked':
      return '5 MB chunked body (no Content-Length)';
    case 'over-limit':
      return `21 MB body, over max_content_length (${MAX_CONTENT_LENGTH_KB} KB)`;
  }
}

export interface CellSpec {
  /** Unique in the run, and the model name in the path: engine records are matched by path. */
  readonly name: string;
  readonly kind: CellKind;
  readonly path: string;
  readonly bodyFile: string;
  readonly bodyBytes: number;
  /** Send without Content-Length (Transfer-Encoding: chunked). */
  readonly isChunked: boolean;
  /** How many requests, one after the other, each waiting for its answer. */
  readonly repeat: number;
}

/** What a client process reads on stdin. Paths only: no key material passes through here. */
export interface BatchSpec {
  /** https://127.0.0.1:<port> */
  readonly baseUrl: string;
  readonly caFile: string;
  /** '' for a client without a certificate (then keyFile is '' too). */
  readonly certFile: string;
  readonly keyFile: string;
  readonly requestTimeoutMs: number;
  /** Add `Expect: 100-continue` to every request with a body (the Go variant). */
  readonly expectContinue: boolean;
  readonly cells: readonly CellSpec[];
}

/** One request as the client saw it. */
export interface RequestOutcome {
  readonly cell: string;
  /** The final HTTP status the client read; 0 when it read none. */
  readonly status: number;
  /** The client's own error when the request failed (no status, or the body broke off). */
  readonly error: string | null;
  /** The start of the answer body, for messages and docs. */
  readonly bodyHead: string;
  /** An id of the connection that carried the request (e.g. the local port), when the client tells. */
  readonly connection: string | null;
  /** Whether this request opened a new connection, when the client tells. */
  readonly isNewConnection: boolean | null;
  /** The HTTP version the answer came in, as the client names it ('2', 'HTTP/2', 'HTTP/2.0'), when it tells. */
  readonly protocol?: string | null;
}

/** True when the client says the answer came over HTTP/2. */
export function isHttp2(protocol: string | null | undefined): boolean {
  return protocol !== undefined && protocol !== null && /^(HTTP\/)?2(\.0)?$/.test(protocol);
}

/** What a client process prints on stdout: one JSON object. */
export interface BatchReport {
  readonly client: string;
  readonly version: string;
  readonly outcomes: readonly RequestOutcome[];
}

/** Model names allow [A-Za-z0-9+-_]: runner ids and kinds are chosen to fit. */
export function cellName(runnerId: string, cert: CertKind, kind: CellKind): string {
  return `${runnerId}-${cert}-${kind}`;
}

export function inferPath(name: string): string {
  return `/v2/models/${name}/infer`;
}

/** The first characters of an answer body, printable, for messages. */
export function headOf(text: string, max = 160): string {
  const flat = text.replace(/[^\x20-\x7e]/g, '.');
  return flat.length > max ? `${flat.slice(0, max)}...` : flat;
}
