// run.sh end to end at the configured limits: header size (431), max_connections, the idle
// keep-alive timeout and the whole-request timeout against a client trickling its body.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpsRequest } from 'node:https';
import { connect, type TLSSocket } from 'node:tls';
import { clientOptions, startFrontProcess, type FrontProcess } from '../../fixtures/front-process.js';
import { waitUntil } from '../../fixtures/wait.js';
import { call, metricSum, scrape } from './client.js';

const MAX_HEADER_KB = 4;
const MAX_CONNECTIONS = 3;
const KEEP_ALIVE_MS = 1000;
const REQUEST_TIMEOUT_MS = 2000;

let front: FrontProcess;

before(async () => {
  front = await startFrontProcess({
    config: {
      max_header_size_kb: String(MAX_HEADER_KB),
      max_connections: String(MAX_CONNECTIONS),
      keep_alive_timeout_ms: String(KEEP_ALIVE_MS),
      request_timeout_ms: String(REQUEST_TIMEOUT_MS),
    },
  });
});

after(async () => {
  await front?.stop();
});

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  await waitUntil(what, condition, { timeoutMs });
}

describe('e2e front: limits', () => {
  it(`answers 431 to a request whose headers exceed max_header_size_kb (${MAX_HEADER_KB} KB)`, async () => {
    const tls = clientOptions(front.pki, 'good');
    await front.engine.clearRequests();
    const fits = await call(front.port, {
      tls,
      path: '/v2/live',
      headers: { 'x-padding': 'a'.repeat(MAX_HEADER_KB * 1024 - 1024) },
    });
    assert.equal(fits.status, 200, 'headers under the limit pass');
    const tooBig = await call(front.port, {
      tls,
      path: '/v2/live',
      headers: { 'x-padding': 'a'.repeat(MAX_HEADER_KB * 1024 + 1) },
    });
    assert.equal(tooBig.status, 431);
    assert.equal((await front.engine.requests()).length, 1, 'only the request that fits reached the engine');
  });

  it(`holds at most max_connections (${MAX_CONNECTIONS}) client connections`, async () => {
    const tls = clientOptions(front.pki, 'good');
    await front.engine.clearRequests();
    await front.engine.setMode({ mode: 'hang' });
    let held: Array<Promise<number>> = [];
    try {
      held = Array.from({ length: MAX_CONNECTIONS }, () =>
        call(front.port, { tls, path: '/v2/ready' }).then((r) => r.status),
      );
      await waitFor(
        async () => (await front.engine.requests()).length === MAX_CONNECTIONS,
        5000,
        `${MAX_CONNECTIONS} requests at the engine`,
      );
      // Over the limit, the client is told so (503, reason too-many-connections) and nothing is proxied.
      const extra = await call(front.port, { tls, path: '/v2/ready' });
      assert.equal(extra.status, 503);
      assert.equal((JSON.parse(extra.body.toString()) as { reason?: string }).reason, 'too-many-connections');
      assert.equal(
        (await front.engine.requests()).length,
        MAX_CONNECTIONS,
        'the extra request never reached the engine',
      );
    } finally {
      await front.engine.setMode({ mode: 'normal' });
    }
    assert.deepEqual(await Promise.all(held), Array(MAX_CONNECTIONS).fill(200), 'the held requests finish normally');
    // Their connections close (agent: false): wait until the front has seen them go.
    await waitUntil(
      'the held connections closed',
      async () => metricSum(await scrape(front.adminPort), 'streamfront_open_connections') < MAX_CONNECTIONS,
    );
    assert.equal(
      (await call(front.port, { tls, path: '/v2/ready' })).status,
      200,
      'a new connection is served once below the limit',
    );
  });

  it(`closes an idle keep-alive connection after keep_alive_timeout_ms (${KEEP_ALIVE_MS} ms)`, async (t) => {
    const socket: TLSSocket = connect({ host: '127.0.0.1', port: front.port, ...clientOptions(front.pki, 'good') });
    let received = '';
    let answeredAt = 0;
    const closedAt = new Promise<number>((resolve) => socket.once('close', () => resolve(performance.now())));
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
      // One small JSON answer: complete once the body after the blank line is as long as declared.
      const m = /content-length: (\d+)/i.exec(received);
      const bodyStart = received.indexOf('\r\n\r\n');
      if (
        answeredAt === 0 &&
        m !== null &&
        bodyStart !== -1 &&
        Buffer.byteLength(received.slice(bodyStart + 4)) >= Number(m[1])
      )
        answeredAt = performance.now();
    });
    socket.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    socket.write('GET /v2/live HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n');
    const timeout = setTimeout(() => socket.destroy(), KEEP_ALIVE_MS + 5000);
    const closed = await closedAt;
    clearTimeout(timeout);
    assert.match(received, /^HTTP\/1\.1 200 /);
    assert.notEqual(answeredAt, 0, 'the answer arrived whole');
    const idleMs = closed - answeredAt;
    t.diagnostic(`idle connection closed after ${Math.round(idleMs)} ms (keep_alive_timeout_ms=${KEEP_ALIVE_MS})`);
    // Clients are told the timeout; Node closes the socket up to 1 s after it (its own grace
    // against a client reusing the connection just as the server closes it).
    assert.match(received, new RegExp(`\r\nkeep-alive: timeout=${Math.floor(KEEP_ALIVE_MS / 1000)}\r\n`, 'i'));
    assert.ok(idleMs >= KEEP_ALIVE_MS - 50, `closed after ${idleMs} ms, before the keep-alive timeout`);
    assert.ok(idleMs < KEEP_ALIVE_MS + 1500, `still open ${idleMs} ms after the answer`);
  });

  it(`cuts off a request whose body trickles beyond request_timeout_ms (${REQUEST_TIMEOUT_MS} ms)`, async (t) => {
    const deadlineMs = REQUEST_TIMEOUT_MS + 3000;
    const t0 = performance.now();
    const outcome = await new Promise<string>((resolve) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port: front.port,
          path: '/v2/models/m/infer',
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': 100_000 },
          agent: false,
          ...clientOptions(front.pki, 'good'),
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(`status ${res.statusCode}`));
          res.on('error', (err: NodeJS.ErrnoException) => resolve(`cut: ${err.code ?? err.message}`));
        },
      );
      req.on('error', (err: NodeJS.ErrnoException) => resolve(`cut: ${err.code ?? err.message}`));
      // One byte every 100 ms: the body would take 10,000 s.
      const drip = setInterval(() => {
        if (!req.destroyed && !req.writableEnded) req.write('a');
      }, 100);
      req.on('close', () => clearInterval(drip));
      setTimeout(() => {
        clearInterval(drip);
        resolve('still open');
        req.destroy();
      }, deadlineMs);
    });
    const tookMs = performance.now() - t0;
    t.diagnostic(
      `trickling request: ${outcome} after ${Math.round(tookMs)} ms (request_timeout_ms=${REQUEST_TIMEOUT_MS})`,
    );
    assert.ok(
      outcome === 'status 408' || outcome.startsWith('cut:'),
      `the trickling request was ${outcome} after ${Math.round(tookMs)} ms`,
    );
    assert.ok(tookMs >= REQUEST_TIMEOUT_MS - 50, `cut after ${tookMs} ms, before request_timeout_ms`);
    assert.ok(tookMs < REQUEST_TIMEOUT_MS + 1500, `cut after ${tookMs} ms, well past request_timeout_ms`);
  });
});
