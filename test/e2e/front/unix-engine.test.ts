// The engine on a unix socket (engine_url=/path): run.sh proxies to it and /readyz asks it
// over the same socket, so readiness says "ready" exactly when proxying works.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { clientOptions, startFrontProcess, type FrontProcess } from '../../fixtures/front-process.js';
import { adminGet, call, jsonOf } from './client.js';

describe('e2e front: engine on a unix socket', () => {
  let front: FrontProcess;
  let socketDir: string;
  before(async () => {
    socketDir = mkdtempSync(join(tmpdir(), 'sf-sock-'));
    front = await startFrontProcess({ engine: { socketPath: join(socketDir, 'engine.sock') } });
  });
  after(async () => {
    await front?.stop();
    rmSync(socketDir, { recursive: true, force: true });
  });

  it('proxies a request to the socket and answers /readyz 200 with engine "ready"', async () => {
    const res = await call(front.port, { tls: clientOptions(front.pki, 'good'), method: 'GET', path: '/v2/ready' });
    assert.equal(res.status, 200, res.body.toString());
    const ready = await adminGet(front.adminPort, '/readyz');
    assert.equal(ready.status, 200, ready.body.toString());
    assert.equal(jsonOf(ready).engine, 'ready');
  });

  it('answers /readyz 503 "unreachable" once the socket is gone', async () => {
    await front.engine.close();
    const ready = await adminGet(front.adminPort, '/readyz');
    assert.equal(ready.status, 503);
    assert.equal(jsonOf(ready).engine, 'unreachable');
  });
});
