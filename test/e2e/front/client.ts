// What a user of the front has at hand in the e2e tests: an HTTPS client with a client
// certificate, a plain GET on the admin port, and a reader for the Prometheus text.
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest, type Agent } from 'node:https';
import type { ClientTlsOptions } from '../../fixtures/front-process.js';

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Time from the call until the whole answer arrived. */
  ms: number;
}

export interface CallOptions {
  tls: ClientTlsOptions;
  path?: string;
  method?: string;
  headers?: Record<string, string | number>;
  body?: Buffer | string;
  /** Send the body in 64 KB pieces without Content-Length (Transfer-Encoding: chunked). */
  chunked?: boolean;
  agent?: Agent | false;
}

const CHUNK = 64 * 1024;

export const INFER_PATH = '/v2/models/m/infer';

/** Resolves with the answer; rejects with the transport error (refused handshake, reset, ...). */
export function call(port: number, opts: CallOptions): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const body = opts.body === undefined ? undefined : Buffer.from(opts.body);
    const headers: Record<string, string | number> = { ...(opts.headers ?? {}) };
    if (body !== undefined && opts.chunked !== true) headers['content-length'] ??= body.length;
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        path: opts.path ?? INFER_PATH,
        method: opts.method ?? (body === undefined ? 'GET' : 'POST'),
        headers,
        agent: opts.agent ?? false,
        ...opts.tls,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
            ms: performance.now() - t0,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body !== undefined && opts.chunked === true) {
      for (let i = 0; i < body.length; i += CHUNK) req.write(body.subarray(i, i + CHUNK));
      req.end();
    } else {
      req.end(body);
    }
  });
}

export function jsonOf(answer: Answer): Record<string, unknown> {
  return JSON.parse(answer.body.toString('utf8')) as Record<string, unknown>;
}

/** GET on the plain-HTTP admin listener. */
export function adminGet(port: number, path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = httpRequest({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks),
          ms: performance.now() - t0,
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (no escapes in our label values). */
export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[pair[1] as string] = pair[2] as string;
    samples.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return samples;
}

/** Sum of the samples of `name` whose labels include every pair of `match`. */
export function metricSum(samples: readonly Sample[], name: string, match: Record<string, string> = {}): number {
  let sum = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (Object.entries(match).every(([k, v]) => s.labels[k] === v)) sum += s.value;
  }
  return sum;
}

export async function scrape(adminPort: number): Promise<Sample[]> {
  const res = await adminGet(adminPort, '/metrics');
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return parseMetrics(res.body.toString('utf8'));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
