// The access line as a log pipeline built for nginx/Envoy maps it: client address and port,
// TLS version and cipher, user agent, bytes both ways, upstream status and time, the trace id
// of a traceparent header, and an ISO time.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { clientOptions, startFrontProcess, type FrontProcess } from '../../fixtures/front-process.js';
import { buildInferBody } from '../../fixtures/load.js';
import { call, INFER_PATH } from './client.js';

describe('e2e front: the access line', () => {
  let front: FrontProcess;
  before(async () => {
    front = await startFrontProcess();
  });
  after(async () => {
    await front?.stop();
  });

  it('carries connection, TLS, agent, bytes, upstream and trace fields', async () => {
    const body = Buffer.from(buildInferBody(Buffer.from('hello')));
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await call(front.port, {
      tls: clientOptions(front.pki, 'good'),
      body,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'probe/1.0',
        traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
      },
    });
    assert.equal(res.status, 200);
    const line = await front.waitForLog((l) => l.msg === 'request' && l.path === INFER_PATH);
    assert.equal(line.remote, '127.0.0.1');
    assert.ok(typeof line.remotePort === 'number' && line.remotePort > 0);
    assert.match(String(line.tlsVersion), /^TLSv1\.[23]$/);
    assert.match(String(line.tlsCipher), /AES/);
    assert.equal(line.userAgent, 'probe/1.0');
    assert.equal(line.traceId, traceId);
    assert.ok(
      (line.requestBytes as number) > body.length && (line.requestBytes as number) < body.length + 1024,
      `requestBytes ${String(line.requestBytes)}`,
    );
    assert.ok((line.bytes as number) > res.body.length);
    assert.equal(line.upstreamStatus, 200);
    assert.ok(
      typeof line.upstreamMs === 'number' && line.upstreamMs >= 0 && line.upstreamMs <= (line.durationMs as number),
    );
    assert.match(String(line.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('has no upstream fields for an answer the front made itself, and no trace id without traceparent', async () => {
    await front.engine.setMode({ mode: 'fail', status: 500 });
    await front.engine.setMode({ mode: 'reset' });
    const res = await call(front.port, {
      tls: clientOptions(front.pki, 'good'),
      method: 'GET',
      path: '/v2/models/m/ready',
    });
    await front.engine.setMode({ mode: 'normal' });
    assert.equal(res.status, 502);
    const line = await front.waitForLog((l) => l.msg === 'request' && l.status === 502);
    assert.equal(line.upstreamStatus, undefined);
    assert.equal(line.traceId, undefined);
  });
});
