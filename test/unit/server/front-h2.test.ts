// HTTP/2 downstream (http2=on) end to end in one process: h2 streams with the same identity,
// revocation, limits and logs as HTTP/1 requests, HTTP/1.x still served on the same port, GOAWAY.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect as h2Connect, type ClientHttp2Session, type OutgoingHttpHeaders } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import pino from 'pino';
import { startFront, type FrontHandle, type FrontServingConfig } from '../../../src/server/front.js';
import { FrontMetrics } from '../../../src/server/metrics.js';
import { crlOfCa, servingConfig, type TestCrl } from '../../fixtures/serving-config.js';
import { waitUntil } from '../../fixtures/wait.js';
import { buildTestPki, type Pair, type TestPki } from '../tls/pki-openssl.js';
import {
  FRAME,
  frame,
  goawayCodeOf,
  H2_ERROR,
  headerBlock,
  isAnswered,
  openRawSession,
  requestFields,
  requestFrames,
  resetCodeOf,
  type Frame,
} from './h2-raw.js';

let pki: TestPki;
let upstream: Server;
let upstreamPort: number;
const early: ServerResponse[] = [];
const logLines: Array<Record<string, unknown>> = [];
const logger = pino(
  { level: 'info' },
  { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) },
);

/** Requests at /hold the engine has now and at most, and what releases them. */
const held = { now: 0, most: 0, seen: 0, waiting: [] as ServerResponse[] };
/** Every path the engine was asked for, to assert that a refused request never reached it. */
const enginePaths: string[] = [];

function releaseHeld(): void {
  for (const res of held.waiting.splice(0)) res.end('released');
}

/** The engine stub: /headers answers the headers it got, /slow after 400 ms, anything else echoes with its digest. */
function upstreamHandler(req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? '/';
  enginePaths.push(url);
  if (url.startsWith('/hold')) {
    held.seen++;
    held.most = Math.max(held.most, ++held.now);
    res.once('close', () => held.now--);
    held.waiting.push(res);
    return;
  }
  if (url.startsWith('/headers')) {
    req.resume();
    req.on('end', () => res.end(JSON.stringify({ ...req.headers, httpVersion: req.httpVersion })));
    return;
  }
  if (url.startsWith('/slow')) {
    setTimeout(() => res.end('slow done'), 400);
    return;
  }
  if (url.startsWith('/cut')) {
    // The head and part of the body, then the engine's connection breaks.
    res.writeHead(200, { 'content-length': '100000' });
    res.write('partial');
    setTimeout(() => res.socket?.destroy(), 50);
    return;
  }
  if (url.startsWith('/drip')) {
    // The head and part of the body, then nothing until the client gives up.
    res.writeHead(200);
    res.write('partial');
    early.push(res);
    return;
  }
  if (url.startsWith('/early')) {
    // Answers before the request body has arrived, and keeps the answer open.
    res.writeHead(200);
    res.write('started');
    early.push(res);
    return;
  }
  const hash = createHash('sha256');
  let length = 0;
  req.on('data', (c: Buffer) => {
    hash.update(c);
    length += c.length;
  });
  req.on('end', () => res.end(JSON.stringify({ sha256: hash.digest('hex'), length })));
}

function config(over: Partial<FrontServingConfig> = {}): FrontServingConfig {
  return servingConfig(`http://127.0.0.1:${upstreamPort}`, { http2: true, ...over });
}

function crlOf(serials: string[]): TestCrl {
  return crlOfCa(pki.caPem, serials);
}

async function withFront<T>(
  over: Partial<FrontServingConfig>,
  fn: (front: FrontHandle, metrics: FrontMetrics) => Promise<T>,
): Promise<T> {
  const metrics = new FrontMetrics({ serverName: 'test' });
  const material = {
    caPem: pki.caPem,
    certPem: pki.server.cert,
    keyPem: pki.server.key,
    crl: crlOf([pki.revokedSerial]),
  };
  const front = await startFront({ config: config(over), material, logger, metrics });
  try {
    return await fn(front, metrics);
  } finally {
    await front.shutdown(1000);
  }
}

function open(port: number, client: Pair): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    // maxSessionMemory (MB): from Node 24 on, Node's client counts the upload data it has queued
    // against its 10 MB default, and resets its own streams (ENHANCE_YOUR_CALM) when four 15 MB
    // uploads are written at once; the front is not involved.
    const session = h2Connect(`https://127.0.0.1:${port}`, {
      ca: pki.caPem,
      cert: client.cert,
      key: client.key,
      maxSessionMemory: 64,
    });
    session.once('connect', () => resolve(session));
    session.once('error', reject);
  });
}

interface StreamAnswer {
  status: number;
  headers: Record<string, unknown>;
  body: Buffer;
}

/** One stream; body written in 64 KiB pieces with no content-length unless asked for. */
function send(
  session: ClientHttp2Session,
  path: string,
  opts: { body?: Buffer; withLength?: boolean; headers?: OutgoingHttpHeaders } = {},
): Promise<StreamAnswer> {
  return new Promise((resolve, reject) => {
    const headers: OutgoingHttpHeaders = {
      ...(path === '' ? {} : { ':path': path }),
      ':method': opts.body === undefined ? 'GET' : 'POST',
      ...opts.headers,
    };
    if (opts.body !== undefined && opts.withLength === true) headers['content-length'] = opts.body.length;
    const stream = session.request(headers, { endStream: opts.body === undefined });
    let status = 0;
    let answerHeaders: Record<string, unknown> = {};
    const chunks: Buffer[] = [];
    stream.on('response', (h) => {
      status = Number(h[':status']);
      answerHeaders = h;
    });
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve({ status, headers: answerHeaders, body: Buffer.concat(chunks) }));
    stream.on('error', reject);
    if (opts.body !== undefined) stream.end(opts.body);
  });
}

function close(session: ClientHttp2Session): Promise<void> {
  return new Promise((r) => session.close(() => r()));
}

/** The protocol the server picks when a client offers these in ALPN. */
function negotiated(port: number, protocols: string[]): Promise<string | false | null> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      host: '127.0.0.1',
      port,
      ca: pki.caPem,
      cert: pki.good.cert,
      key: pki.good.key,
      ALPNProtocols: protocols,
    });
    socket.once('secureConnect', () => {
      resolve(socket.alpnProtocol);
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

/** Writes raw HTTP/1.1 over TLS (ALPN http/1.1) and collects what comes back until the front closes. */
function rawHttp1(port: number, text: string): Promise<{ data: string; closedAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      host: '127.0.0.1',
      port,
      ca: pki.caPem,
      cert: pki.good.cert,
      key: pki.good.key,
      ALPNProtocols: ['http/1.1'],
    });
    let data = '';
    let sentAt = 0;
    socket.once('secureConnect', () => {
      sentAt = Date.now();
      socket.write(text);
    });
    socket.on('data', (c: Buffer) => {
      data += c.toString();
    });
    socket.on('close', () => resolve({ data, closedAfterMs: Date.now() - sentAt }));
    socket.on('error', reject);
  });
}

before(async () => {
  pki = buildTestPki();
  upstream = createServer(upstreamHandler);
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamPort = (upstream.address() as AddressInfo).port;
});

after(async () => {
  releaseHeld();
  for (const res of early) res.destroy();
  upstream.closeAllConnections();
  await new Promise<void>((r) => upstream.close(() => r()));
  pki.cleanup();
});

describe('front over HTTP/2 (http2=on)', () => {
  it('http2=off (the default) does not offer h2: a client offering h2 and http/1.1 gets http/1.1', async () => {
    await withFront({ http2: false }, async (front) => {
      assert.equal(await negotiated(front.port, ['h2', 'http/1.1']), 'http/1.1');
    });
  });

  it('a stream carries the connection identity to the engine, over HTTP/1.1 upstream, and is logged and counted', async () => {
    await withFront({}, async (front, metrics) => {
      assert.equal(await negotiated(front.port, ['h2', 'http/1.1']), 'h2');
      const session = await open(front.port, pki.good);
      const linesBefore = logLines.length;
      const answers = await Promise.all([send(session, '/headers'), send(session, '/headers?second')]);
      await close(session);
      for (const answer of answers) {
        assert.equal(answer.status, 200);
        const seen = JSON.parse(answer.body.toString()) as Record<string, string>;
        assert.match(seen['x-forwarded-client-cert'] ?? '', /^Hash=[0-9a-f]{64};Subject=".*CN=good/);
        assert.equal(seen.httpVersion, '1.1');
        assert.equal(seen['x-forwarded-proto'], 'https');
        assert.equal(seen[':path'], undefined, 'no pseudo-header reaches the engine');
        assert.match(String(answer.headers['x-request-id']), /.+/);
        assert.equal(answer.headers.connection, undefined);
      }
      const lines = logLines.slice(linesBefore).filter((l) => l.msg === 'request');
      assert.equal(lines.length, 2);
      assert.match(String(lines[0]?.subject), /CN=good/);
      assert.equal(lines[0]?.status, 200);
      assert.match(metrics.render(), /^streamfront_http2_requests_total 2$/m);
    });
  });

  it('an answer the engine cuts off resets the stream; its access line says truncated by the engine', async () => {
    await withFront({}, async (front, metrics) => {
      const session = await open(front.port, pki.good);
      const linesBefore = logLines.length;
      await assert.rejects(send(session, '/cut'), { code: 'ERR_HTTP2_STREAM_ERROR' });
      assert.equal((await send(session, '/headers')).status, 200, 'the session goes on');
      await close(session);
      const line = logLines.slice(linesBefore).find((l) => l.msg === 'request' && l.path === '/cut');
      assert.equal(line?.outcome, 'truncated');
      assert.equal(line?.cutOffBy, 'engine');
      assert.equal(line?.protocol, 'h2');
      assert.match(metrics.render(), /^streamfront_responses_truncated_total\{cause="engine"\} 1$/m);
    });
  });

  it('a client that resets its stream mid-answer: the access line says truncated by the client', async () => {
    await withFront({}, async (front, metrics) => {
      const session = await open(front.port, pki.good);
      const linesBefore = logLines.length;
      await new Promise<void>((resolve) => {
        const stream = session.request({ ':path': '/drip', ':method': 'GET' });
        stream.once('data', () => stream.close(8 /* NGHTTP2_CANCEL */));
        stream.on('close', () => resolve());
      });
      const deadline = Date.now() + 10_000;
      let line: Record<string, unknown> | undefined;
      while (line === undefined && Date.now() < deadline) {
        line = logLines.slice(linesBefore).find((l) => l.msg === 'request' && l.path === '/drip');
        if (line === undefined) await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(line?.outcome, 'truncated');
      assert.equal(line?.cutOffBy, 'client');
      assert.match(metrics.render(), /^streamfront_responses_truncated_total\{cause="client"\} 1$/m);
      session.destroy();
    });
  });

  it('bodies reach the engine intact: 1 KB and 5 MB, with and without content-length', async () => {
    await withFront({}, async (front) => {
      const session = await open(front.port, pki.good);
      for (const size of [1024, 5 * 1024 * 1024]) {
        const body = randomBytes(size);
        const digest = createHash('sha256').update(body).digest('hex');
        for (const withLength of [true, false]) {
          const answer = await send(session, '/echo', { body, withLength });
          assert.equal(answer.status, 200, `${size} bytes, content-length ${withLength}`);
          assert.deepEqual(JSON.parse(answer.body.toString()), { sha256: digest, length: size });
        }
      }
      await close(session);
    });
  });

  it('four parallel 15 MB uploads on one session all reach the engine intact', async () => {
    await withFront({ maxContentLengthKb: 16 * 1024 }, async (front) => {
      const session = await open(front.port, pki.good);
      const body = randomBytes(15 * 1024 * 1024);
      const digest = createHash('sha256').update(body).digest('hex');
      const answers = await Promise.all([1, 2, 3, 4].map(() => send(session, '/echo', { body, withLength: true })));
      for (const answer of answers)
        assert.deepEqual(JSON.parse(answer.body.toString()), { sha256: digest, length: body.length });
      await close(session);
    });
  });

  it('an over-limit body gets 413 (declared or counted) and the session serves the next stream', async () => {
    await withFront({ maxContentLengthKb: 64 }, async (front) => {
      const session = await open(front.port, pki.good);
      const body = randomBytes(200 * 1024);
      assert.equal((await send(session, '/echo', { body, withLength: true })).status, 413);
      assert.equal((await send(session, '/echo', { body })).status, 413);
      assert.equal((await send(session, '/echo', { body: Buffer.from('ok') })).status, 200);
      await close(session);
    });
  });

  it('CONNECT gets 405 on its stream; 100-continue only for an upload the front will take', async () => {
    await withFront({ maxContentLengthKb: 64 }, async (front) => {
      const session = await open(front.port, pki.good);
      const connect = await send(session, '', { headers: { ':method': 'CONNECT', ':authority': 'example.com:443' } });
      assert.equal(connect.status, 405);
      assert.match(connect.body.toString(), /CONNECT is not supported/);
      const upload = (size: number): Promise<{ status: number; continued: boolean }> =>
        new Promise((resolve, reject) => {
          const stream = session.request(
            { ':method': 'POST', ':path': '/echo', expect: '100-continue', 'content-length': size },
            { endStream: false },
          );
          let continued = false;
          stream.on('continue', () => {
            continued = true;
          });
          stream.on('response', (h) => resolve({ status: Number(h[':status']), continued }));
          stream.on('error', reject);
          stream.resume();
          stream.end(Buffer.alloc(size));
        });
      assert.deepEqual(await upload(1000), { status: 200, continued: true });
      assert.deepEqual(await upload(100 * 1024), { status: 413, continued: false });
      await close(session);
    });
  });

  it('more header fields than max_header_fields gets 431 on that stream only, however many more', async () => {
    await withFront({ maxHeaderFields: 10 }, async (front) => {
      const session = await open(front.port, pki.good);
      for (const count of [11, 300]) {
        const headers: OutgoingHttpHeaders = {};
        for (let i = 0; i < count; i++) headers[`x-field-${i}`] = 'v';
        assert.equal((await send(session, '/headers', { headers })).status, 431, `${count} fields`);
      }
      assert.equal((await send(session, '/headers', { headers: { 'x-one': 'v' } })).status, 200);
      await close(session);
    });
  });

  it('a header block over max_header_size_kb gets 431 on that stream only', async () => {
    await withFront({ maxHeaderSizeKb: 16 }, async (front) => {
      const session = await open(front.port, pki.good);
      const answer = await send(session, '/headers', { headers: { 'x-big': 'v'.repeat(17 * 1024) } });
      assert.equal(answer.status, 431);
      assert.match(answer.body.toString(), /request header fields too large/);
      assert.equal((await send(session, '/headers', { headers: { 'x-one': 'v'.repeat(8 * 1024) } })).status, 200);
      await close(session);
    });
  });

  it('a revoked client is refused on its stream with the reason, and told GOAWAY', async () => {
    await withFront({}, async (front) => {
      const session = await open(front.port, pki.revoked);
      const goaway = new Promise<void>((r) => session.once('goaway', () => r()));
      const answer = await send(session, '/headers');
      assert.equal(answer.status, 403);
      assert.equal((JSON.parse(answer.body.toString()) as { reason: string }).reason, 'revoked');
      await goaway;
      session.destroy();
    });
  });

  it('a CRL that revokes an open session sends it GOAWAY; a stream in flight still finishes', async () => {
    await withFront({}, async (front) => {
      const session = await open(front.port, pki.good);
      assert.equal((await send(session, '/headers')).status, 200);
      const goaway = new Promise<void>((r) => session.once('goaway', () => r()));
      const slow = send(session, '/slow');
      await new Promise((r) => setTimeout(r, 100));
      front.applyMaterial({
        caPem: pki.caPem,
        certPem: pki.server.cert,
        keyPem: pki.server.key,
        crl: crlOf([pki.revokedSerial, pki.goodSerial]),
      });
      await goaway;
      const answer = await slow;
      assert.equal(answer.body.toString(), 'slow done');
      session.destroy();
      // The swapped context keeps offering h2 and http/1.0.
      assert.equal(await negotiated(front.port, ['h2', 'http/1.1']), 'h2');
      assert.equal(await negotiated(front.port, ['http/1.0']), 'http/1.0');
    });
  });

  it('streamfront_revoked_connections_closed_total counts a revoked session once, with its streams in flight finishing', async () => {
    await withFront({}, async (front, metrics) => {
      resetHeld();
      const raw = await openRawSession(front.port, { ca: pki.caPem, ...pki.good });
      const inFlight = [1, 3, 5];
      raw.write(inFlight.flatMap((id) => requestFrames(id, headerBlock(requestFields(`/hold?${id}`)))));
      await waitUntil('3 streams at the engine', () => held.now === 3);
      front.applyMaterial({
        caPem: pki.caPem,
        certPem: pki.server.cert,
        keyPem: pki.server.key,
        crl: crlOf([pki.revokedSerial, pki.goodSerial]),
      });
      await raw.waitFor('GOAWAY', (fs) => goawayCodeOf(fs) !== undefined);
      releaseHeld();
      await raw.waitFor('the streams in flight answered', (fs) => inFlight.every((id) => isAnswered(fs, id)));
      assert.equal(dataOf(raw.frames, 5), 'released');
      assert.match(metrics.render(), /^streamfront_revoked_connections_closed_total 1$/m);
      raw.socket.destroy();
    });
  });

  it('a stream whose body stalls past request_timeout_ms gets 408', { timeout: 15_000 }, async () => {
    await withFront({ requestTimeoutMs: 300 }, async (front) => {
      const session = await open(front.port, pki.good);
      const started = Date.now();
      const answer = await new Promise<number>((resolve, reject) => {
        const stream = session.request({ ':path': '/echo', ':method': 'POST' }, { endStream: false });
        stream.write('partial');
        stream.on('response', (h) => resolve(Number(h[':status'])));
        stream.on('error', reject);
      });
      assert.equal(answer, 408);
      assert.ok(Date.now() - started < 10_000, `answered after ${Date.now() - started} ms`);
      session.destroy();
    });
  });

  it('request_timeout_ms bounds the request, not the answer: a slow answer to a GET still arrives', async () => {
    await withFront({ requestTimeoutMs: 200 }, async (front) => {
      const session = await open(front.port, pki.good);
      const answer = await send(session, '/slow');
      assert.equal(answer.status, 200);
      assert.equal(answer.body.toString(), 'slow done');
      await close(session);
    });
  });

  it('a stream whose answer started while its body stalls is reset at request_timeout_ms', {
    timeout: 15_000,
  }, async () => {
    await withFront({ requestTimeoutMs: 300 }, async (front) => {
      const session = await open(front.port, pki.good);
      const started = Date.now();
      const outcome = await new Promise<{ status: number; code: number }>((resolve) => {
        const stream = session.request({ ':path': '/early', ':method': 'POST' }, { endStream: false });
        let status = 0;
        stream.write('partial');
        stream.on('response', (h) => {
          status = Number(h[':status']);
        });
        stream.resume();
        stream.on('close', () => resolve({ status, code: stream.rstCode ?? -1 }));
      });
      assert.equal(outcome.status, 200);
      assert.equal(outcome.code, 8 /* NGHTTP2_CANCEL */);
      assert.ok(Date.now() - started < 10_000, `reset after ${Date.now() - started} ms`);
      session.destroy();
    });
  });

  it('shutdown sends GOAWAY and lets the stream in flight finish', async () => {
    const metrics = new FrontMetrics({ serverName: 'test' });
    const material = { caPem: pki.caPem, certPem: pki.server.cert, keyPem: pki.server.key };
    const front = await startFront({ config: config(), material, logger, metrics });
    const session = await open(front.port, pki.good);
    const goaway = new Promise<void>((r) => session.once('goaway', () => r()));
    const slow = send(session, '/slow');
    await new Promise((r) => setTimeout(r, 100));
    const closed = front.shutdown(5000);
    await goaway;
    assert.equal((await slow).body.toString(), 'slow done');
    await closed;
    session.destroy();
  });

  it("HTTP/1.1 on the same port keeps node:https's settings: header size and count, Host, keep-alive", {
    timeout: 20_000,
  }, async () => {
    await withFront({ maxHeaderSizeKb: 4, maxHeaderFields: 10, keepAliveTimeoutMs: 300 }, async (front) => {
      const big = await rawHttp1(front.port, `GET /headers HTTP/1.1\r\nHost: a\r\nx-big: ${'v'.repeat(6000)}\r\n\r\n`);
      assert.match(big.data, /^HTTP\/1\.1 431/);
      let many = 'GET /headers HTTP/1.1\r\nHost: a\r\n';
      for (let i = 0; i < 11; i++) many += `x-field-${i}: v\r\n`;
      assert.match((await rawHttp1(front.port, `${many}Connection: close\r\n\r\n`)).data, /^HTTP\/1\.1 431/);
      assert.match((await rawHttp1(front.port, 'GET /headers HTTP/1.1\r\n\r\n')).data, /^HTTP\/1\.1 400/);
      // An idle keep-alive connection is closed by the front (Node adds up to 1 s of grace).
      const idle = await rawHttp1(front.port, 'GET /headers HTTP/1.1\r\nHost: a\r\n\r\n');
      assert.match(idle.data, /^HTTP\/1\.1 200/);
      assert.ok(idle.closedAfterMs < 10_000, `closed after ${idle.closedAfterMs} ms`);
    });
  });

  it('HTTP/1.1 and HTTP/1.0 clients are still served on the same port', async () => {
    await withFront({}, async (front) => {
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpsRequest(
          {
            host: '127.0.0.1',
            port: front.port,
            path: '/headers',
            ca: pki.caPem,
            cert: pki.good.cert,
            key: pki.good.key,
            agent: false,
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end();
      });
      assert.equal(status, 200);
      assert.equal(await negotiated(front.port, ['http/1.0']), 'http/1.0');
      const head = await new Promise<string>((resolve, reject) => {
        const socket = tlsConnect({
          host: '127.0.0.1',
          port: front.port,
          ca: pki.caPem,
          cert: pki.good.cert,
          key: pki.good.key,
          ALPNProtocols: ['http/1.0'],
        });
        let text = '';
        socket.once('secureConnect', () => socket.write('GET /headers HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n'));
        socket.on('data', (c: Buffer) => {
          text += c.toString();
        });
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      });
      assert.match(head, /^HTTP\/1\.[01] 200/);
      assert.match(head, /"x-forwarded-client-cert":"Hash=/);
    });
  });
});

/** The DATA a stream received, as text (answers are JSON, never compressed). */
function dataOf(frames: readonly Frame[], streamId: number): string {
  return Buffer.concat(
    frames.filter((f) => f.type === FRAME.DATA && f.streamId === streamId).map((f) => f.payload),
  ).toString();
}

function resetHeld(): void {
  releaseHeld();
  Object.assign(held, { now: 0, most: 0, seen: 0 });
}

describe('front over HTTP/2: limits a hostile or careless client reaches', () => {
  it('129 streams at once before the client acknowledged SETTINGS: the 129th is refused (REFUSED_STREAM), the first 128 complete', {
    timeout: 60_000,
  }, async (t) => {
    await withFront({}, async (front) => {
      resetHeld();
      const raw = await openRawSession(front.port, { ca: pki.caPem, ...pki.good }, { isAcknowledging: false });
      const ids = Array.from({ length: 129 }, (_, i) => 2 * i + 1);
      raw.write(ids.flatMap((id) => requestFrames(id, headerBlock(requestFields(`/hold?${id}`)))));
      await raw.waitFor('the 129th stream reset', (fs) => resetCodeOf(fs, 257) !== undefined);
      assert.equal(resetCodeOf(raw.frames, 257), H2_ERROR.REFUSED_STREAM);
      const ms = await waitUntil('128 requests held by the engine', () => held.now === 128, { timeoutMs: 30_000 });
      t.diagnostic(`128 streams at the engine after ${Math.round(ms)} ms`);
      releaseHeld();
      await raw.waitFor('the first 128 answered', (fs) => ids.slice(0, 128).every((id) => isAnswered(fs, id)));
      assert.equal(dataOf(raw.frames, 1), 'released');
      assert.equal(held.most, 128, 'the engine had at most 128 at once');
      assert.equal(held.seen, 128, 'the refused stream never reached the engine');
      assert.equal(goawayCodeOf(raw.frames), undefined, 'the session goes on');
      raw.socket.destroy();
    });
  });

  it('a 129th stream after the client acknowledged the limit ends the connection (nghttp2: a connection error); the engine never has more than 128', {
    timeout: 60_000,
  }, async (t) => {
    await withFront({}, async (front) => {
      resetHeld();
      const raw = await openRawSession(front.port, { ca: pki.caPem, ...pki.good });
      const first = Array.from({ length: 128 }, (_, i) => 2 * i + 1);
      raw.write(first.flatMap((id) => requestFrames(id, headerBlock(requestFields(`/hold?${id}`)))));
      await waitUntil('128 requests held by the engine', () => held.now === 128, { timeoutMs: 30_000 });
      const started = performance.now();
      raw.write(requestFrames(257, headerBlock(requestFields('/hold?257'))));
      await raw.closed;
      t.diagnostic(`connection closed ${Math.round(performance.now() - started)} ms after the 129th stream`);
      assert.equal(held.most, 128, 'the engine had at most 128 at once');
      assert.equal(held.seen, 128, 'the 129th never reached the engine');
      resetHeld();
    });
  });

  it('a header block far past max_header_size_kb (10x, in CONTINUATION frames; and past 64 KB) resets that stream only (ENHANCE_YOUR_CALM); the next stream is served', async () => {
    await withFront({ maxHeaderSizeKb: 8 }, async (front) => {
      const raw = await openRawSession(front.port, { ca: pki.caPem, ...pki.good });
      const seenBefore = enginePaths.length;
      const cases = [
        // 10 x 8 KB in 5 frames (HEADERS + 4 CONTINUATION); then 70 KB (past 64 KB) in 5 frames.
        { id: 1, fields: Array.from({ length: 20 }, (_, i) => [`x-f${i}`, 'v'.repeat(4000)] as const) },
        { id: 5, fields: Array.from({ length: 10 }, (_, i) => [`x-g${i}`, 'v'.repeat(7000)] as const) },
      ];
      for (const { id, fields } of cases) {
        const frames = requestFrames(id, headerBlock(requestFields(`/headers?big-${id}`, fields)));
        assert.ok(frames.length === 5, `${frames.length} frames`);
        raw.write(frames);
        raw.write(requestFrames(id + 2, headerBlock(requestFields(`/headers?next-${id}`))));
        await raw.waitFor(
          'the big stream reset, the next answered',
          (fs) => resetCodeOf(fs, id) !== undefined && isAnswered(fs, id + 2),
        );
        assert.equal(resetCodeOf(raw.frames, id), H2_ERROR.ENHANCE_YOUR_CALM);
        assert.match(dataOf(raw.frames, id + 2), /"host"|httpVersion/);
      }
      assert.equal(goawayCodeOf(raw.frames), undefined, 'the session goes on');
      assert.deepEqual(
        enginePaths.slice(seenBefore).filter((p) => p.includes('big-')),
        [],
        'no oversized block reached the engine',
      );
      raw.socket.destroy();
    });
  });

  it('a header block in more than 8 CONTINUATION frames, or a single field over 64 KB, ends the connection (GOAWAY) within header_timeout_ms; the engine never sees it', async (t) => {
    await withFront({ maxHeaderSizeKb: 16, headerTimeoutMs: 1000, keepAliveTimeoutMs: 30_000 }, async (front) => {
      const seenBefore = enginePaths.length;
      const blocks = {
        '160 KB in 10 frames': Array.from({ length: 40 }, (_, i) => [`x-f${i}`, 'v'.repeat(4000)] as const),
        'one 100 KB field': [['x-big', 'v'.repeat(100_000)] as const],
      };
      for (const [what, fields] of Object.entries(blocks)) {
        const raw = await openRawSession(front.port, { ca: pki.caPem, ...pki.good });
        const started = performance.now();
        raw.write(requestFrames(1, headerBlock(requestFields('/headers?huge', fields))));
        await raw.waitFor(`${what}: GOAWAY`, (fs) => goawayCodeOf(fs) !== undefined);
        await raw.closed;
        const ms = performance.now() - started;
        t.diagnostic(`${what}: GOAWAY code ${goawayCodeOf(raw.frames)}, closed after ${Math.round(ms)} ms`);
        assert.notEqual(goawayCodeOf(raw.frames), H2_ERROR.NO_ERROR);
        assert.ok(ms < 10_000, `closed after ${Math.round(ms)} ms, far below the 30 s idle timeout`);
      }
      assert.deepEqual(enginePaths.slice(seenBefore), [], 'nothing reached the engine');
    });
  });

  it('a CONTINUATION flood (a header block that never ends) is closed with GOAWAY at once', async (t) => {
    await withFront({ headerTimeoutMs: 1000, keepAliveTimeoutMs: 30_000 }, async (front) => {
      const raw = await openRawSession(front.port, { ca: pki.caPem, ...pki.good });
      const started = performance.now();
      raw.write(frame(FRAME.HEADERS, 0x1, 1, headerBlock(requestFields('/headers?flood'))));
      const piece = frame(FRAME.CONTINUATION, 0, 1, headerBlock([['x-flood', 'v'.repeat(1000)]]));
      const flood = setInterval(() => raw.write([piece, piece, piece, piece]), 5);
      try {
        await raw.closed;
      } finally {
        clearInterval(flood);
      }
      const ms = performance.now() - started;
      t.diagnostic(
        `flood: closed after ${Math.round(ms)} ms (header_timeout_ms 1000), GOAWAY code ${goawayCodeOf(raw.frames)}`,
      );
      assert.notEqual(goawayCodeOf(raw.frames), undefined);
      assert.ok(ms < 10_000, `closed after ${Math.round(ms)} ms`);
    });
  });

  it('a header block left unfinished, or trickled a frame at a time, gets GOAWAY at header_timeout_ms, not the idle timeout', {
    timeout: 60_000,
  }, async (t) => {
    await withFront({ headerTimeoutMs: 1000, keepAliveTimeoutMs: 30_000 }, async (front) => {
      for (const trickle of [false, true]) {
        const raw = await openRawSession(front.port, { ca: pki.caPem, ...pki.good });
        raw.write(requestFrames(1, headerBlock(requestFields('/headers?first'))));
        await raw.waitFor('the first stream answered', (fs) => isAnswered(fs, 1));
        const started = performance.now();
        raw.write(frame(FRAME.HEADERS, 0x1, 3, headerBlock(requestFields('/headers?stalled'))));
        const piece = frame(FRAME.CONTINUATION, 0, 3, headerBlock([['x-slow', 'v']]));
        // Every 400 ms: each frame restarts the idle timeout; 7 frames stay under nghttp2's guard.
        let sent = 0;
        const drip = setInterval(() => {
          if (trickle && sent++ < 7) raw.write(piece);
        }, 400);
        try {
          await raw.waitFor('GOAWAY', (fs) => goawayCodeOf(fs) !== undefined, 20_000);
        } finally {
          clearInterval(drip);
        }
        const ms = performance.now() - started;
        t.diagnostic(
          `${trickle ? 'trickled' : 'unfinished'} block: GOAWAY after ${Math.round(ms)} ms (header_timeout_ms 1000)`,
        );
        assert.equal(goawayCodeOf(raw.frames), H2_ERROR.ENHANCE_YOUR_CALM);
        assert.ok(ms < 10_000, `GOAWAY after ${Math.round(ms)} ms, far below the 30 s idle timeout`);
        await raw.closed;
      }
    });
  });

  it('a stalled header block on a session with a stream in flight: GOAWAY at header_timeout_ms, the stream finishes, then the connection closes', {
    timeout: 60_000,
  }, async () => {
    await withFront({ headerTimeoutMs: 1000, keepAliveTimeoutMs: 30_000 }, async (front) => {
      resetHeld();
      const raw = await openRawSession(front.port, { ca: pki.caPem, ...pki.good });
      raw.write(requestFrames(1, headerBlock(requestFields('/hold?in-flight'))));
      await waitUntil('the stream at the engine', () => held.now === 1);
      raw.write(frame(FRAME.HEADERS, 0x1, 3, headerBlock(requestFields('/headers?stalled'))));
      await raw.waitFor('GOAWAY', (fs) => goawayCodeOf(fs) !== undefined);
      assert.equal(raw.socket.destroyed, false, 'open while its stream is in flight');
      releaseHeld();
      await raw.waitFor('the stream in flight answered', (fs) => isAnswered(fs, 1));
      await raw.closed;
      assert.equal(dataOf(raw.frames, 1), 'released');
    });
  });

  it('a client that honours SETTINGS_MAX_CONCURRENT_STREAMS: 200 streams complete, at most 128 at the engine at once', {
    timeout: 60_000,
  }, async () => {
    await withFront({}, async (front) => {
      resetHeld();
      const session = await open(front.port, pki.good);
      if (session.remoteSettings.maxConcurrentStreams !== 128)
        await new Promise((r) => session.once('remoteSettings', r));
      assert.equal(session.remoteSettings.maxConcurrentStreams, 128);
      let done = 0;
      const all = Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          send(session, `/hold?${i}`).then((a) => {
            done++;
            return a.status;
          }),
        ),
      );
      await waitUntil('128 requests held by the engine', () => held.now === 128, { timeoutMs: 30_000 });
      // Released a batch at a time: the client sends the next streams only as earlier ones end.
      await waitUntil(
        'all 200 answered',
        () => {
          releaseHeld();
          return done === 200;
        },
        { timeoutMs: 30_000, everyMs: 20 },
      );
      assert.deepEqual(new Set(await all), new Set([200]));
      assert.equal(held.most, 128);
      assert.equal(held.seen, 200);
      await close(session);
    });
  });
});

/** One HTTP/1.1 request (ALPN http/1.1) on its own connection. */
function http1Get(port: number, client: Pair, path: string): Promise<StreamAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { host: '127.0.0.1', port, path, ca: pki.caPem, cert: client.cert, key: client.key, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** One h2 stream on its own session; also whether the front sent GOAWAY on that session. */
async function h2Get(port: number, client: Pair, path: string): Promise<StreamAnswer & { isGoaway: boolean }> {
  const session = await open(port, client);
  let isGoaway = false;
  session.on('goaway', () => {
    isGoaway = true;
  });
  const goaway = new Promise<void>((r) => session.once('goaway', () => r()));
  const answer = await send(session, path);
  if (answer.status >= 500 || answer.status === 403 || answer.status === 400) await goaway;
  session.destroy();
  return { ...answer, isGoaway };
}

/** The counters a refusal moves (the h2 request counter aside: it only says which protocol). */
function refusalCounters(metrics: FrontMetrics): string[] {
  return metrics
    .render()
    .split('\n')
    .filter((l) =>
      /^streamfront_(requests_total|tls_handshakes_refused_total|tls_handshakes_total|revoked_connections_closed_total)[{ ]/.test(
        l,
      ),
    );
}

describe('front over HTTP/2: refusals answer and count as over HTTP/1', () => {
  const staleCrl = () => ({ ...crlOf([pki.revokedSerial]), nextUpdate: new Date(Date.now() - 1000) });

  for (const protocol of ['HTTP/1.1', 'h2'] as const) {
    it(`crl_expired_policy=refuse-all with an expired CRL over ${protocol}: 503 crl-stale, the connection ends, nothing proxied`, async () => {
      const metrics = new FrontMetrics({ serverName: 'test' });
      const material = { caPem: pki.caPem, certPem: pki.server.cert, keyPem: pki.server.key, crl: staleCrl() };
      const front = await startFront({ config: config({ crlExpiredPolicy: 'refuse-all' }), material, logger, metrics });
      try {
        const seenBefore = enginePaths.length;
        const path = `/headers?refuse-all-${protocol}`;
        const answer =
          protocol === 'h2' ? await h2Get(front.port, pki.good, path) : await http1Get(front.port, pki.good, path);
        assert.equal(answer.status, 503);
        assert.deepEqual(JSON.parse(answer.body.toString()), {
          error: 'revocation list expired; refusing all clients until a fresh CRL is installed',
          reason: 'crl-stale',
        });
        if ('isGoaway' in answer) assert.equal(answer.isGoaway, true, 'GOAWAY: no more streams on this session');
        else assert.equal(answer.headers.connection, 'close');
        assert.deepEqual(enginePaths.slice(seenBefore), [], 'nothing reached the engine');
        refusalCountersSeen.set(`refuse-all ${protocol}`, refusalCounters(metrics));
      } finally {
        await front.shutdown(1000);
      }
    });

    it(`max_connections over ${protocol}: the connection past the limit gets 503 too-many-connections, the one within is served`, async () => {
      await withFront({ maxConnections: 1 }, async (front, metrics) => {
        const first = await open(front.port, pki.good);
        assert.equal((await send(first, '/headers')).status, 200);
        const seenBefore = enginePaths.length;
        const path = `/headers?too-many-${protocol}`;
        const answer =
          protocol === 'h2' ? await h2Get(front.port, pki.good, path) : await http1Get(front.port, pki.good, path);
        assert.equal(answer.status, 503);
        assert.deepEqual(JSON.parse(answer.body.toString()), {
          error: 'too many connections; try again later',
          reason: 'too-many-connections',
        });
        if ('isGoaway' in answer) assert.equal(answer.isGoaway, true);
        else assert.equal(answer.headers.connection, 'close');
        assert.deepEqual(enginePaths.slice(seenBefore), [], 'nothing reached the engine');
        assert.equal((await send(first, '/headers')).status, 200, 'the connection within the limit goes on');
        await close(first);
        refusalCountersSeen.set(`max_connections ${protocol}`, refusalCounters(metrics));
      });
    });
  }

  it('the counters those refusals moved are the same over h2 as over HTTP/1.1', (t) => {
    for (const what of ['refuse-all', 'max_connections']) {
      const http1 = refusalCountersSeen.get(`${what} HTTP/1.1`);
      const h2 = refusalCountersSeen.get(`${what} h2`);
      assert.ok(http1 !== undefined && h2 !== undefined, `both ${what} tests ran`);
      assert.ok(http1.length > 0);
      assert.deepEqual(h2, http1, what);
      t.diagnostic(`${what}: ${http1.join('; ')}`);
    }
  });
});

const refusalCountersSeen = new Map<string, string[]>();
