// run.sh end to end under signals: a SIGTERM during a 15 MB upload drains it (a SIGHUP during
// that drain is ignored, not fatal), and a storm of 100 SIGHUPs in a second under closed-loop
// load fails no request and leaves the same process serving.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpsRequest } from 'node:https';
import { clientOptions, startFrontProcess, type FrontProcess } from '../../fixtures/front-process.js';
import { startClosedLoop } from '../../fixtures/closed-loop.js';
import { buildInferBody } from '../../fixtures/load.js';
import { waitUntil } from '../../fixtures/wait.js';
import { adminGet, sleep } from './client.js';

const GRACE_MS = 10_000;
const UPLOAD_BYTES = 15 * 1024 * 1024;
/** The upload is sent in pieces over about 3 s, so the signals land while it is in flight. */
const PIECES = 60;
const PIECE_GAP_MS = 50;

/** POSTs an infer body of about 15 MB in timed pieces; resolves with the status and when it came. */
function slowUpload(front: FrontProcess, onProgress: (sent: number) => void): Promise<{ status: number; at: number }> {
  const raw = Buffer.alloc(Math.floor((UPLOAD_BYTES * 3) / 4), 0x5a);
  const body = Buffer.from(buildInferBody(raw));
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port: front.port,
        path: '/v2/models/m/infer',
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': body.length },
        ...clientOptions(front.pki, 'good'),
      },
      (res) => {
        res.resume();
        res.once('end', () => resolve({ status: res.statusCode ?? 0, at: performance.now() }));
      },
    );
    req.once('error', reject);
    const size = Math.ceil(body.length / PIECES);
    let offset = 0;
    const next = (): void => {
      const piece = body.subarray(offset, offset + size);
      offset += piece.length;
      onProgress(offset);
      if (offset >= body.length) req.end(piece);
      else {
        req.write(piece);
        setTimeout(next, PIECE_GAP_MS);
      }
    };
    next();
  });
}

describe('e2e front: signals', () => {
  it(`SIGTERM 1 s into a 15 MB upload, then SIGHUP during the drain: the upload is answered 200 within shutdown_grace_ms (${GRACE_MS} ms), exit 0`, async (t) => {
    const front = await startFrontProcess({
      config: { shutdown_grace_ms: String(GRACE_MS), max_content_length: '20480' },
    });
    try {
      let sent = 0;
      const upload = slowUpload(front, (n) => (sent = n));
      // Mid-upload: a fifth of it sent (~1 s at the pieces' pace), observed rather than slept for.
      await waitUntil('a fifth of the upload sent', () => sent >= UPLOAD_BYTES / 5);
      const termAt = performance.now();
      const sentAtTerm = sent;
      front.signal('SIGTERM');
      await front.waitForLog((l) => l.msg === 'draining', 5000);
      front.signal('SIGHUP');
      await front.waitForLog((l) => l.event === 'sighup_ignored', 5000);
      const answer = await upload;
      const code = await front.waitForExit(GRACE_MS + 5000);
      const answeredMs = answer.at - termAt;
      t.diagnostic(
        `SIGTERM with ${(sentAtTerm / 1048576).toFixed(1)} MB sent; answered ${answer.status} ${Math.round(answeredMs)} ms after SIGTERM; exit ${String(code)}`,
      );
      assert.equal(answer.status, 200);
      assert.ok(answeredMs < GRACE_MS, `answered ${Math.round(answeredMs)} ms after SIGTERM`);
      assert.equal(code, 0, 'exit code after the drain');
      assert.equal((await front.engine.requests()).at(-1)?.bytes, sent, 'the engine got the whole upload');
    } finally {
      await front.stop('SIGKILL');
    }
  });

  it('100 SIGHUPs in one second under closed-loop load: no failed request, the same process serves', async (t) => {
    const front = await startFrontProcess();
    try {
      const tls = clientOptions(front.pki, 'good') as { ca: Buffer; cert: Buffer; key: Buffer };
      const load = startClosedLoop({ port: front.port, tls, clients: 8, freshShare: 0.3 });
      await waitUntil('the load is being served', () => load.report().ok >= 20);
      for (let i = 0; i < 100; i++) {
        front.signal('SIGHUP');
        // The pace of the storm (100 in about a second), not a wait for something to happen.
        await sleep(10);
      }
      // Closed loop: the front goes on answering after the storm, well past its reloads.
      const okAfterStorm = load.report().ok;
      await waitUntil('requests answered after the storm', () => load.report().ok >= okAfterStorm + 50);
      const report = await load.stop();
      const hups = front.logLines().filter((l) => l.event === 'sighup').length;
      t.diagnostic(
        `${report.ok} requests answered, ${report.failed} failed, worst ${Math.round(report.worstMs)} ms; ${hups} SIGHUPs logged`,
      );
      assert.deepEqual(report.failures, []);
      assert.ok(report.ok > 50, `only ${report.ok} requests in 3 s`);
      assert.ok(hups > 0, 'the SIGHUPs reached the front');
      assert.doesNotThrow(() => process.kill(front.pid, 0), 'the process is alive');
      assert.equal((await adminGet(front.adminPort, '/readyz')).status, 200);
      assert.equal(front.logLines().filter((l) => l.msg === 'streamfront serving').length, 1, 'never restarted');
    } finally {
      await front.stop();
    }
  });
});
