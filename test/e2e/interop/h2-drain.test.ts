// The drain over HTTP/2 with a real client: httpx (Client(http2=True)) has streams in flight on
// its one connection when run.sh gets SIGTERM. The front sends GOAWAY, lets those streams finish,
// then exits 0; every stream must come back 200 over HTTP/2. httpx once failed on a GOAWAY that
// arrived with an answer (python-hyper/h2 #1199, docs/clients.md), so this is a client's view.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startFrontProcess, type FrontProcess } from '../../fixtures/front-process.js';
import { buildInferBody } from '../../fixtures/load.js';
import { projectRoot } from '../../fixtures/project-root.js';
import { waitUntil } from '../../fixtures/wait.js';
import { runProcess } from './clients/child-process.js';
import { DEBIAN_PYTHON, requirePythonModule } from './tools.js';

const SCRIPT = join(projectRoot, 'test', 'e2e', 'interop', 'clients', 'python', 'httpx_inflight.py');
/** Streams in flight at the SIGTERM, each held this long by the engine. */
const STREAMS = 4;
const ENGINE_DELAY_MS = 2_000;

interface Outcome {
  status: number;
  protocol: string | null;
  error: string | null;
}

describe('interop: the HTTP/2 drain (http2=on)', () => {
  let front: FrontProcess;

  before(async () => {
    requirePythonModule('httpx', 'python3-httpx');
    requirePythonModule('h2', 'python3-h2');
    front = await startFrontProcess({ config: { http2: 'on', shutdown_grace_ms: '10000' } });
  });

  after(async () => {
    await front.stop();
  });

  it(`httpx: ${STREAMS} streams in flight at SIGTERM all get 200 over HTTP/2, and run.sh exits 0`, async (t) => {
    await front.engine.setMode({ mode: 'slow', delayMs: ENGINE_DELAY_MS });
    const files = front.pki.clients.good;
    const client = runProcess(DEBIAN_PYTHON, [SCRIPT], {
      input: JSON.stringify({
        baseUrl: `https://127.0.0.1:${front.port}`,
        path: '/v2/models/m/infer',
        body: buildInferBody(Buffer.from('an image')),
        caFile: front.pki.ca.cert,
        certFile: files.cert,
        keyFile: files.key,
        count: STREAMS,
        timeoutMs: 60_000,
      }),
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
      timeoutMs: 120_000,
    });
    // The first request alone, then the others at once: all of them are at the engine.
    const waited = await waitUntil(
      `${STREAMS + 1} requests at the engine`,
      async () => (await front.engine.requests()).length >= STREAMS + 1,
      { timeoutMs: 60_000, everyMs: 50 },
    );
    t.diagnostic(`streams in flight after ${waited} ms; SIGTERM`);
    front.signal('SIGTERM');
    const code = await front.waitForExit(30_000);
    const result = await client;
    assert.equal(result.code, 0, `the client failed: ${result.stderr}`);
    const report = JSON.parse(result.stdout) as { first: number; firstProtocol: string; outcomes: Outcome[] };
    assert.deepEqual([report.first, report.firstProtocol], [200, 'HTTP/2']);
    assert.deepEqual(
      report.outcomes,
      Array.from({ length: STREAMS }, () => ({ status: 200, protocol: 'HTTP/2', error: null })),
    );
    assert.equal(code, 0, 'run.sh exit code after the drain');
    const events = front.logLines().map((l) => l.event);
    assert.ok(events.includes('stopping') && events.includes('stopped'), 'the drain was logged');
  });
});
