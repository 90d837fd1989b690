// The engine simulator's HTTP server: routes the mxVision StreamServer API onto protocol.ts,
// records what it received (SHA-256 of the raw body bytes) and obeys the /__sim/ control path.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  buildInferAnswer,
  engineError,
  isEngineAnswer,
  parseInferBody,
  parseRoute,
  validateUri,
  type EngineAnswer,
  type EngineTarget,
  type InferType,
} from './protocol.js';

export type SimMode = 'normal' | 'fail' | 'reset' | 'hang' | 'slow';
export const SIM_MODES: readonly SimMode[] = ['normal', 'fail', 'reset', 'hang', 'slow'];

export interface SimModeSetting {
  readonly mode: SimMode;
  /** slow: how long to wait before answering. */
  readonly delayMs: number;
  /** fail: the HTTP status to answer with (500 by default, body is INTERNAL_ERROR JSON). */
  readonly status: number;
}

export interface RecordedRequest {
  readonly at: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string | string[] | undefined>;
  /** SHA-256 (hex) of the raw body bytes as received, before any parsing. */
  readonly bodySha256: string;
  readonly bytes: number;
}

export interface EngineSimulatorOptions {
  host?: string;
  port?: number;
  /** Listen on this unix socket instead of host:port; url is then the path. */
  socketPath?: string;
  serverName?: string;
  /** Added before every engine answer (not the control path). */
  latencyMs?: number;
  /** Body limit in KB; larger bodies get 413 LARGE_CONTENT. Engine default 20480. */
  maxContentLengthKb?: number;
  models?: readonly string[];
  streams?: readonly string[];
  /** Extra targets, e.g. read from an InferConfigRepository. */
  targets?: readonly EngineTarget[];
  /** How many recent requests /__sim/requests keeps. */
  keepRequests?: number;
}

export interface EngineSimulator {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
  setMode(setting: Partial<SimModeSetting> & { mode: SimMode }): void;
  mode(): SimModeSetting;
  requests(): RecordedRequest[];
  clearRequests(): void;
}

const CONTROL_PREFIX = '/__sim/';
const NORMAL: SimModeSetting = { mode: 'normal', delayMs: 0, status: 500 };

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed || res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

interface ReadBody {
  readonly body: Buffer;
  readonly sha256: string;
  readonly bytes: number;
  readonly isTooLarge: boolean;
}

/** Reads the whole body, hashing every byte; past the limit it keeps hashing but drops the bytes. */
function readBody(req: IncomingMessage, limitBytes: number): Promise<ReadBody> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    const chunks: Buffer[] = [];
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      bytes += chunk.length;
      if (bytes <= limitBytes) chunks.push(chunk);
      else chunks.length = 0;
    });
    req.on('end', () => {
      const isTooLarge = bytes > limitBytes;
      resolve({
        body: isTooLarge ? Buffer.alloc(0) : Buffer.concat(chunks),
        sha256: hash.digest('hex'),
        bytes,
        isTooLarge,
      });
    });
    req.on('error', reject);
    // A client that goes away mid-body must not leave this promise (and its chunks) pending.
    req.on('close', () => {
      if (!req.complete) reject(new Error('client closed before the body ended'));
    });
  });
}

function parseModeSetting(raw: unknown, current: SimModeSetting): SimModeSetting | string {
  if (typeof raw !== 'object' || raw === null) return 'body must be a JSON object like {"mode":"slow","delayMs":2000}';
  const r = raw as Record<string, unknown>;
  const mode = r.mode ?? current.mode;
  if (typeof mode !== 'string' || !(SIM_MODES as readonly string[]).includes(mode)) {
    return `mode must be one of ${SIM_MODES.join(', ')}`;
  }
  const delayMs = r.delayMs ?? (mode === current.mode ? current.delayMs : 0);
  if (typeof delayMs !== 'number' || !Number.isInteger(delayMs) || delayMs < 0)
    return 'delayMs must be an integer >= 0';
  const status = r.status ?? 500;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) {
    return 'status must be an HTTP status 100 to 599';
  }
  return { mode: mode as SimMode, delayMs, status };
}

export async function startEngineSimulator(options: EngineSimulatorOptions = {}): Promise<EngineSimulator> {
  const host = options.host ?? '127.0.0.1';
  const serverName = options.serverName ?? 'StreamServer';
  const latencyMs = options.latencyMs ?? 0;
  const limitBytes = (options.maxContentLengthKb ?? 20480) * 1024;
  const keep = options.keepRequests ?? 100;
  const targets = new Map<string, EngineTarget>();
  const addTarget = (t: EngineTarget): void => void targets.set(`${t.inferType}/${t.name}`, t);
  for (const name of options.models ?? ['m']) addTarget({ inferType: 'models', name, timeoutMs: 3000 });
  for (const name of options.streams ?? ['s']) addTarget({ inferType: 'streams', name, timeoutMs: 3000 });
  for (const t of options.targets ?? []) addTarget(t);

  let setting: SimModeSetting = NORMAL;
  // Aborted (and replaced) whenever the mode changes, so hung and slow requests re-check it.
  let modeChanged = new AbortController();
  const shutdown = new AbortController();
  const recorded: RecordedRequest[] = [];

  function setMode(next: Partial<SimModeSetting> & { mode: SimMode }): void {
    setting = { ...NORMAL, ...next };
    const old = modeChanged;
    modeChanged = new AbortController();
    old.abort();
  }

  function record(req: IncomingMessage, path: string, body: ReadBody): void {
    recorded.push({
      at: new Date().toISOString(),
      method: req.method ?? '',
      path,
      headers: { ...req.headers },
      bodySha256: body.sha256,
      bytes: body.bytes,
    });
    if (recorded.length > keep) recorded.splice(0, recorded.length - keep);
  }

  function findTarget(inferType: InferType, name: string): EngineTarget | undefined {
    return targets.get(`${inferType}/${name}`);
  }

  function answerEngine(req: IncomingMessage, path: string, body: ReadBody): EngineAnswer {
    const uriError = validateUri(path);
    if (uriError !== null) return uriError;
    const route = parseRoute(path);
    const method = req.method ?? '';
    if (route.kind === 'unknown') return engineError('INVALID_URI', `no API at ${path}`);
    if (route.kind === 'infer') {
      if (method !== 'POST')
        return engineError('UNSUPPORTED_METHOD', `${method} is not supported on ${path}; use POST`);
    } else if (method !== 'GET') {
      return engineError('UNSUPPORTED_METHOD', `${method} is not supported on ${path}; use GET`);
    }
    switch (route.kind) {
      case 'server':
        return { status: 200, body: { serverName } };
      case 'live':
        return { status: 200, body: { isLive: true } };
      case 'ready':
        return { status: 200, body: { isReady: true } };
      case 'target-ready':
      case 'target-config': {
        const target = findTarget(route.inferType, route.name);
        if (target === undefined)
          return engineError('TARGET_NOT_EXISTS', `${route.inferType} ${route.name} does not exist`);
        if (route.kind === 'target-ready') return { status: 200, body: { isReady: true } };
        return { status: 200, body: { inferType: target.inferType, name: target.name, timeoutMs: target.timeoutMs } };
      }
      case 'infer': {
        const target = findTarget(route.inferType, route.name);
        if (target === undefined)
          return engineError('TARGET_NOT_EXISTS', `${route.inferType} ${route.name} does not exist`);
        if (body.isTooLarge)
          return engineError('LARGE_CONTENT', `body of ${body.bytes} bytes exceeds ${limitBytes}`, 413);
        if (req.headers['content-type'] !== 'application/json') {
          return engineError('ILLEGAL_CONTENT', 'Content-Type must be exactly application/json');
        }
        const input = parseInferBody(body.body);
        if (isEngineAnswer(input)) return input;
        return buildInferAnswer(target, input);
      }
    }
  }

  async function handleControl(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const body = await readBody(req, 1024 * 1024);
    if (path === '/__sim/mode') {
      if (req.method === 'GET') return sendJson(res, 200, setting);
      if (req.method === 'POST') {
        let raw: unknown;
        try {
          raw = JSON.parse(body.body.toString('utf8'));
        } catch {
          return sendJson(res, 400, { error: 'body is not JSON' });
        }
        const next = parseModeSetting(raw, setting);
        if (typeof next === 'string') return sendJson(res, 400, { error: next });
        setMode(next);
        return sendJson(res, 200, setting);
      }
    } else if (path === '/__sim/requests') {
      if (req.method === 'GET') return sendJson(res, 200, { requests: recorded });
      if (req.method === 'DELETE') {
        recorded.length = 0;
        return sendJson(res, 200, { requests: [] });
      }
    } else {
      return sendJson(res, 404, { error: `no control endpoint ${path}; see docs/engine-sim.md` });
    }
    return sendJson(res, 405, { error: `${req.method} not allowed on ${path}` });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path.startsWith(CONTROL_PREFIX)) return handleControl(req, res, path);
    const body = await readBody(req, limitBytes);
    record(req, path, body);
    const closed = new AbortController();
    res.on('close', () => closed.abort());
    const stop = AbortSignal.any([closed.signal, shutdown.signal]);
    await sleep(latencyMs, stop);
    // The mode is read in a loop: a hung request wakes when the mode changes and follows the new one.
    for (;;) {
      if (stop.aborted) return;
      const current = setting;
      if (current.mode === 'hang') {
        await new Promise<void>((resolve) => {
          const s = AbortSignal.any([stop, modeChanged.signal]);
          if (s.aborted) return resolve();
          s.addEventListener('abort', () => resolve(), { once: true });
        });
        continue;
      }
      if (current.mode === 'reset') {
        req.socket.destroy();
        return;
      }
      if (current.mode === 'fail') {
        return sendJson(res, current.status, engineError('INTERNAL_ERROR', 'simulated engine failure').body);
      }
      if (current.mode === 'slow') await sleep(current.delayMs, stop);
      if (stop.aborted) return;
      const answer = answerEngine(req, path, body);
      return sendJson(res, answer.status, answer.body);
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) sendJson(res, 500, engineError('INTERNAL_ERROR', 'simulator fault').body);
      else res.destroy();
    });
  });
  // Slow and hung modes must outlast any front timeout; Node's defaults would cut them.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const onListening = (): void => {
      server.off('error', reject);
      resolve();
    };
    if (options.socketPath !== undefined) server.listen(options.socketPath, onListening);
    else server.listen(options.port ?? 0, host, onListening);
  });
  const port = options.socketPath === undefined ? (server.address() as AddressInfo).port : 0;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    // A socket path is what engine_url takes for a unix socket.
    url: options.socketPath ?? `http://${urlHost}:${port}`,
    port,
    setMode,
    mode: () => setting,
    requests: () => recorded.slice(),
    clearRequests: () => void (recorded.length = 0),
    close: () =>
      new Promise<void>((resolve) => {
        shutdown.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
