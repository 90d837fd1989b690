// run.sh end to end on SIGTERM: a slow request in flight is answered in full, new connections
// are refused while it drains, and the process exits 0 afterwards.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { clientOptions, startFrontProcess, type FrontProcess } from '../../fixtures/front-process.js';
import { waitUntil } from '../../fixtures/wait.js';
import { call, jsonOf } from './client.js';

const ENGINE_DELAY_MS = 1500;
const GRACE_MS = 8000;

let front: FrontProcess;

before(async () => {
  front = await startFrontProcess({ config: { shutdown_grace_ms: String(GRACE_MS) } });
});

after(async () => {
  await front?.stop('SIGKILL');
});

describe('e2e front: SIGTERM', () => {
  it('drains a slow request in flight, refuses new connections meanwhile, then exits 0', async (t) => {
    const tls = clientOptions(front.pki, 'good');
    await front.engine.clearRequests();
    await front.engine.setMode({ mode: 'slow', delayMs: ENGINE_DELAY_MS });
    let answeredAt = 0;
    const inFlight = call(front.port, { tls, path: '/v2/ready' }).then((res) => {
      answeredAt = performance.now();
      return res;
    });
    await waitUntil('the request reaches the engine', async () => (await front.engine.requests()).length > 0, {
      timeoutMs: 5000,
    });
    const exited = new Promise<number>((resolve) => {
      void front
        .waitForLog((l) => l.msg === 'streamfront stopped', GRACE_MS + 5000)
        .then(() => resolve(performance.now()));
    });
    front.signal('SIGTERM');
    await front.waitForLog((l) => l.msg === 'draining', 5000);

    const during = await call(front.port, { tls, path: '/v2/ready' }).then(
      (res) => `answered ${res.status}`,
      (err: NodeJS.ErrnoException) => err,
    );
    // Refused at connect once the listener is closed; a connection that raced the close is
    // reset, or answered 503 (Fastify's return503OnClosing). Never served by the engine.
    const outcome = during instanceof Error ? (during as NodeJS.ErrnoException).code : during;
    assert.ok(
      ['ECONNREFUSED', 'ECONNRESET', 'answered 503'].includes(String(outcome)),
      `a new request during the drain was ${String(outcome)}`,
    );

    const res = await inFlight;
    assert.equal(res.status, 200);
    assert.deepEqual(jsonOf(res), { isReady: true });
    assert.ok(res.ms >= ENGINE_DELAY_MS - 20, `answered after ${res.ms} ms`);

    const code = await front.waitForExit(GRACE_MS + 5000);
    const stoppedAt = await exited;
    t.diagnostic(
      `in-flight answer ${Math.round(res.ms)} ms after the request; process logged 'stopped' ${Math.round(stoppedAt - answeredAt)} ms after it`,
    );
    assert.equal(code, 0, 'exit code after SIGTERM');
    assert.ok(stoppedAt >= answeredAt - 50, 'the process stopped only after the request in flight was answered');
    assert.equal((await front.engine.requests()).length, 1);
  });
});
