// run.sh end to end when things go wrong: a hung engine gives 504 at engine_timeout_ms, a
// resetting or stopped engine gives 502, a body over max_content_length gives 413.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { clientOptions, startFrontProcess, type FrontProcess } from '../../fixtures/front-process.js';
import { buildInferBody } from '../../fixtures/load.js';
import { adminGet, call, jsonOf } from './client.js';

const ENGINE_TIMEOUT_MS = 1500;
const MAX_CONTENT_KB = 1024;
const JSON_HEADERS = { 'content-type': 'application/json' };

let front: FrontProcess;

before(async () => {
  front = await startFrontProcess({
    config: { engine_timeout_ms: String(ENGINE_TIMEOUT_MS), max_content_length: String(MAX_CONTENT_KB) },
  });
});

after(async () => {
  await front?.stop();
});

describe('e2e front: engine faults', () => {
  it(`answers 504 when the engine hangs, at engine_timeout_ms (${ENGINE_TIMEOUT_MS} ms), without retrying`, async (t) => {
    await front.engine.clearRequests();
    await front.engine.setMode({ mode: 'hang' });
    try {
      const res = await call(front.port, { tls: clientOptions(front.pki, 'good'), path: '/v2/ready' });
      t.diagnostic(`504 after ${Math.round(res.ms)} ms (engine_timeout_ms=${ENGINE_TIMEOUT_MS})`);
      assert.equal(res.status, 504);
      assert.deepEqual(jsonOf(res), { error: 'the engine did not answer in time' });
      assert.ok(res.ms >= ENGINE_TIMEOUT_MS - 20, `answered after ${res.ms} ms, before the timeout`);
      assert.ok(res.ms < ENGINE_TIMEOUT_MS + 1000, `answered after ${res.ms} ms, well past the timeout`);
      assert.equal((await front.engine.requests()).length, 1, 'the engine saw the request once');
    } finally {
      await front.engine.setMode({ mode: 'normal' });
    }
  });

  it('answers 502 when the engine drops the connection without answering', async () => {
    await front.engine.setMode({ mode: 'reset' });
    try {
      const res = await call(front.port, { tls: clientOptions(front.pki, 'good'), path: '/v2/ready' });
      assert.equal(res.status, 502);
      assert.deepEqual(jsonOf(res), { error: 'the engine closed the connection' });
    } finally {
      await front.engine.setMode({ mode: 'normal' });
    }
    assert.equal(
      (await call(front.port, { tls: clientOptions(front.pki, 'good'), path: '/v2/ready' })).status,
      200,
      'served again once the engine is back',
    );
  });
});

describe('e2e front: body limit', () => {
  it(`answers 413 for a body over max_content_length (${MAX_CONTENT_KB} KB), declared or chunked, and the engine never sees it`, async () => {
    await front.engine.clearRequests();
    const tooBig = randomBytes(MAX_CONTENT_KB * 1024 + 1);
    const declared = await call(front.port, {
      tls: clientOptions(front.pki, 'good'),
      body: tooBig,
      headers: JSON_HEADERS,
    });
    assert.equal(declared.status, 413);
    assert.deepEqual(jsonOf(declared), { error: 'request body too large' });
    assert.equal((await front.engine.requests()).length, 0);
    const chunked = await call(front.port, {
      tls: clientOptions(front.pki, 'good'),
      body: tooBig,
      headers: JSON_HEADERS,
      chunked: true,
    });
    assert.equal(chunked.status, 413);
    assert.ok(
      (await front.engine.requests()).every((r) => r.bytes <= MAX_CONTENT_KB * 1024),
      'no more than the limit reached the engine',
    );
  });

  it('passes a body of exactly max_content_length', async () => {
    // A valid infer body padded with spaces (legal JSON) to exactly the limit.
    const inner = buildInferBody(randomBytes(700 * 1024));
    const body = Buffer.from(inner + ' '.repeat(MAX_CONTENT_KB * 1024 - Buffer.byteLength(inner)));
    assert.equal(body.length, MAX_CONTENT_KB * 1024);
    await front.engine.clearRequests();
    const res = await call(front.port, { tls: clientOptions(front.pki, 'good'), body, headers: JSON_HEADERS });
    assert.equal(res.status, 200, res.body.toString().slice(0, 200));
    assert.equal((await front.engine.requests())[0]?.bytes, body.length);
  });
});

describe('e2e front: engine down', () => {
  it('answers 502 when nothing listens at engine_url, and /readyz says not ready', async () => {
    await front.engine.close();
    const res = await call(front.port, { tls: clientOptions(front.pki, 'good'), path: '/v2/ready' });
    assert.equal(res.status, 502);
    assert.deepEqual(jsonOf(res), { error: 'the engine is unreachable' });
    const ready = await adminGet(front.adminPort, '/readyz');
    assert.equal(ready.status, 503);
    assert.equal(jsonOf(ready).engine, 'unreachable');
  });
});
