// run.sh with workers=2: two serving processes share the TLS port behind one primary. What a
// user sees: one start line, sessions that resume on either worker, one /metrics for the group,
// a killed worker replaced while requests keep succeeding, and SIGTERM draining every worker.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import {
  clientOptions,
  startFrontProcess,
  type ClientTlsOptions,
  type FrontProcess,
  type LogLine,
} from '../../fixtures/front-process.js';
import { SERVING_NODE_FLAGS } from '../../../src/server/node-flags.js';
import { buildCrl } from '../../fixtures/pki.js';
import { renameOver } from '../rotation/rotation-kit.js';
import { adminGet, call, jsonOf, metricSum, parseMetrics, scrape, sleep } from './client.js';

const GRACE_MS = 8_000;
const RECONNECTS = 20;

let front: FrontProcess;

before(async () => {
  front = await startFrontProcess({ config: { workers: '2', shutdown_grace_ms: String(GRACE_MS) } });
});

after(async () => {
  await front?.stop('SIGKILL');
});

interface RawAnswer {
  readonly status: number;
  readonly requestId: string;
  readonly isReused: boolean;
  readonly session: Buffer | undefined;
}

/** One GET /v2/ready on a new TLS connection (offering `session`), and the ticket the server sent. */
function getOnNewConnection(port: number, tls: ClientTlsOptions, session?: Buffer): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    let ticket: Buffer | undefined;
    let text = '';
    let isReused = false;
    const socket: TLSSocket = connect({ host: '127.0.0.1', port, servername: 'localhost', ...tls, session }, () => {
      isReused = socket.isSessionReused();
      socket.write('GET /v2/ready HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n');
    });
    socket.on('session', (s: Buffer) => {
      ticket = s;
    });
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    socket.once('error', reject);
    socket.once('close', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      const requestId = /\r\nx-request-id: ([^\r]+)\r\n/i.exec(text)?.[1] ?? '';
      resolve({ status, requestId, isReused, session: ticket });
    });
  });
}

function workerOfRequest(id: string): unknown {
  return front.logLines().find((l) => l.msg === 'request' && l.requestId === id)?.worker;
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`${what}: not seen within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** A fresh session, then RECONNECTS connections offering it: all resumed, over both workers. */
async function assertResumesEverywhere(): Promise<unknown[]> {
  const tls = clientOptions(front.pki, 'good');
  const first = await getOnNewConnection(front.port, tls);
  assert.equal(first.status, 200);
  assert.equal(first.isReused, false);
  assert.ok(first.session !== undefined, 'the server sent a session ticket');
  const answers: RawAnswer[] = [];
  for (let i = 0; i < RECONNECTS; i++) answers.push(await getOnNewConnection(front.port, tls, first.session));
  assert.deepEqual(
    answers.map((a) => a.status),
    answers.map(() => 200),
  );
  assert.deepEqual(
    answers.map((a) => a.isReused),
    answers.map(() => true),
    'every reconnect resumed the first session',
  );
  const workers = await Promise.all(
    answers.map((a) => waitFor(`access line of ${a.requestId}`, () => workerOfRequest(a.requestId))),
  );
  assert.deepEqual([...new Set(workers)].sort(), [1, 2], 'the reconnects reached both workers');
  return workers;
}

/** Every series of the counter and histogram families on the group's /metrics (summed ones), by name and labels. */
async function summedSeries(): Promise<Map<string, number>> {
  const text = (await adminGet(front.adminPort, '/metrics')).body.toString('utf8');
  const families = new Set([...text.matchAll(/^# TYPE (\S+) (?:counter|histogram)$/gm)].map((m) => m[1]));
  const series = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const key = line.slice(0, line.lastIndexOf(' '));
    const name = key.replace(/\{.*$/, '');
    if (families.has(name) || families.has(name.replace(/_(?:bucket|sum|count)$/, '')))
      series.set(key, Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return series;
}

function timeOf(line: LogLine): number {
  return typeof line.time === 'number' ? line.time : Date.parse(String(line.time));
}

function startedWorkers(): LogLine[] {
  return front.logLines().filter((l) => l.event === 'worker_started');
}

describe('e2e front: workers=2', () => {
  it('starts two serving workers behind one primary, which logs one start line', async () => {
    await waitFor('two worker_started lines', () => (startedWorkers().length >= 2 ? true : undefined));
    const workers = startedWorkers();
    assert.deepEqual(workers.map((l) => l.worker).sort(), [1, 2]);
    assert.notEqual(workers[0]?.pid, workers[1]?.pid);
    assert.ok(!workers.some((l) => l.pid === front.pid), 'the workers are processes of their own');
    const starts = front.logLines().filter((l) => l.msg === 'streamfront serving');
    assert.equal(starts.length, 1);
    assert.equal(starts[0]?.workers, 2);
    assert.equal(starts[0]?.pid, front.pid);
    // run.sh starts the primary with the serving flags; the workers it forks carry them too.
    for (const pid of [front.pid, ...workers.map((l) => l.pid as number)]) {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      for (const flag of SERVING_NODE_FLAGS) assert.ok(argv.includes(flag), `pid ${pid} runs ${argv.join(' ')}`);
    }
  });

  it('resumes one TLS session on every reconnect, whichever worker takes it', async (t) => {
    t.diagnostic(`reconnects served by workers: ${(await assertResumesEverywhere()).join(' ')}`);
  });

  it('after a CRL change every worker takes the same new ticket key: old tickets end, new ones resume anywhere', async () => {
    const tls = clientOptions(front.pki, 'good');
    const old = await getOnNewConnection(front.port, tls);
    assert.ok(old.session !== undefined);
    const crl = await buildCrl(front.pki, { revoke: [front.pki.clients.revoked.cert, front.pki.clients.goodEc.cert] });
    const before = new Set(front.logLines());
    await renameOver(join(front.runDir, 'keys', 'ca.crl'), crl);
    await front.waitForLog((l) => !before.has(l) && l.event === 'workers_applied', 10_000);
    const after: boolean[] = [];
    for (let i = 0; i < 4; i++) after.push((await getOnNewConnection(front.port, tls, old.session)).isReused);
    assert.deepEqual(after, [false, false, false, false], 'a ticket from before the revocation change resumes nowhere');
    await assertResumesEverywhere();
  });

  it('answers /readyz from the primary with the material and CRL the workers serve', async () => {
    const res = await adminGet(front.adminPort, '/readyz');
    assert.equal(res.status, 200);
    const body = jsonOf(res);
    assert.equal(body.material, 'current');
    assert.deepEqual(body.crl, { entries: 2, state: 'current' }, 'the CRL placed by the test before');
    assert.equal(body.engine, 'ready');
    assert.deepEqual(body.workers, { serving: 2, of: 2 });
  });

  it('reports the whole group on one /metrics scrape, request counts summed', async () => {
    const before = metricSum(await scrape(front.adminPort), 'streamfront_requests_total');
    const tls = clientOptions(front.pki, 'good');
    const sent = 12;
    for (let i = 0; i < sent; i++) assert.equal((await call(front.port, { tls, path: '/v2/ready' })).status, 200);
    const text = (await adminGet(front.adminPort, '/metrics')).body.toString('utf8');
    const samples = parseMetrics(text);
    assert.equal(metricSum(samples, 'streamfront_requests_total') - before, sent);
    assert.equal(text.match(/^# TYPE streamfront_requests_total /gm)?.length, 1, 'one family, not one per worker');
    const info = samples.filter((s) => s.name === 'streamfront_worker_info');
    assert.deepEqual(info.map((s) => s.labels.worker).sort(), ['1', '2']);
    assert.ok(info.every((s) => s.value === 1));
    const open = samples.filter((s) => s.name === 'streamfront_open_connections');
    assert.deepEqual(open.map((s) => s.labels.worker).sort(), ['1', '2'], 'open connections per worker');
    const lag = samples.filter((s) => s.name === 'nodejs_eventloop_lag_seconds');
    assert.deepEqual(
      lag.map((s) => s.labels.worker ?? 'primary').sort(),
      ['1', '2', 'primary'],
      'loop lag per process',
    );
  });

  it('replaces a worker killed with SIGKILL, logs it, and keeps serving', async () => {
    const tls = clientOptions(front.pki, 'good');
    const victim = startedWorkers().find((l) => l.worker === 1);
    assert.ok(victim !== undefined);
    const startsBefore = startedWorkers().length;
    // What Prometheus saw last: no summed series may be lower after the replacement (it would read a reset).
    const scraped = await summedSeries();
    assert.ok((scraped.get('streamfront_requests_total{route="/v2/ready",status="200"}') ?? 0) > 0);
    process.kill(victim.pid as number, 'SIGKILL');
    const exited = await front.waitForLog((l) => l.event === 'worker_exited', 10_000);
    assert.equal(exited.worker, 1);
    assert.equal(exited.pid, victim.pid);
    assert.equal(exited.signal, 'SIGKILL');
    // Served throughout by the survivor, then by both.
    for (let i = 0; i < 10; i++) assert.equal((await call(front.port, { tls, path: '/v2/ready' })).status, 200);
    const replacement = await front.waitForLog(
      (l) => l.event === 'worker_started' && l.worker === 1 && l.pid !== victim.pid,
      15_000,
    );
    assert.equal(startedWorkers().length, startsBefore + 1);
    for (let i = 0; i < 10; i++) assert.equal((await call(front.port, { tls, path: '/v2/ready' })).status, 200);
    const samples = await scrape(front.adminPort);
    assert.equal(metricSum(samples, 'streamfront_worker_restarts_total'), 1);
    const pids = samples.filter((s) => s.name === 'streamfront_worker_info').map((s) => Number(s.labels.pid));
    assert.ok(pids.includes(replacement.pid as number), 'the replacement answers scrapes');
    const later = await summedSeries();
    const dropped = [...scraped].filter(([series, value]) => (later.get(series) ?? -1) < value);
    assert.deepEqual(dropped, [], 'summed counters never drop across a replacement');
  });

  it('a replacement worker resumes the sessions the others issued (the current key, not the first one)', async () => {
    await assertResumesEverywhere();
  });

  it('replaces a worker that was sent SIGTERM on its own, after it drained', async () => {
    const tls = clientOptions(front.pki, 'good');
    const current = startedWorkers()
      .filter((l) => l.worker === 2)
      .at(-1);
    assert.ok(current !== undefined);
    const exitsBefore = front.logLines().filter((l) => l.event === 'worker_exited').length;
    process.kill(current.pid as number, 'SIGTERM');
    const exited = await front.waitForLog(
      (l) => l.event === 'worker_exited' && l.worker === 2 && l.pid === current.pid,
      15_000,
    );
    assert.equal(exited.code, 0, 'it drained and exited cleanly');
    assert.equal(front.logLines().filter((l) => l.event === 'worker_exited').length, exitsBefore + 1);
    await front.waitForLog((l) => l.event === 'worker_started' && l.worker === 2 && l.pid !== current.pid, 15_000);
    for (let i = 0; i < 6; i++) assert.equal((await call(front.port, { tls, path: '/v2/ready' })).status, 200);
    assert.equal(metricSum(await scrape(front.adminPort), 'streamfront_worker_restarts_total'), 2);
  });

  it('replaces a worker that cannot answer a reload (stopped) after 5 s, logs why, and serves through the other meanwhile', async (t) => {
    const tls = clientOptions(front.pki, 'good');
    const victim = startedWorkers()
      .filter((l) => l.worker === 2)
      .at(-1);
    assert.ok(victim !== undefined);
    const pid = victim.pid as number;
    const restartsBefore = metricSum(await scrape(front.adminPort), 'streamfront_worker_restarts_total');
    const agent = new Agent({ keepAlive: false });
    process.kill(pid, 'SIGSTOP');
    try {
      const before = new Set(front.logLines());
      // New connections while it is stopped: the primary hands each to a worker that has taken its
      // last one, so at most one goes to the stopped worker (it waits); the rest go to worker 1.
      const sent = 10;
      const settled: { status: number; requestId: string }[] = [];
      for (let i = 0; i < sent; i++)
        void call(front.port, { tls, path: '/v2/ready', agent }).then(
          (a) => settled.push({ status: a.status, requestId: String(a.headers['x-request-id']) }),
          () => settled.push({ status: 0, requestId: '' }),
        );
      await waitFor('answers from the running worker', () => (settled.length >= sent - 1 ? true : undefined), 15_000);
      const whileStopped = settled.slice();
      const crl = await buildCrl(front.pki, { revoke: [front.pki.clients.revoked.cert] });
      await renameOver(join(front.runDir, 'keys', 'ca.crl'), crl);
      const applied = await front.waitForLog((l) => !before.has(l) && l.event === 'material_reloaded', 10_000);
      const failed = await front.waitForLog((l) => !before.has(l) && l.event === 'worker_apply_failed', 15_000);
      assert.equal(failed.worker, 2);
      assert.equal(failed.pid, pid);
      assert.equal(failed.reason, 'no answer within 5000 ms');
      const waitedMs = timeOf(failed) - timeOf(applied);
      t.diagnostic(`the primary gave up on the stopped worker ${waitedMs} ms after the reload`);
      assert.ok(waitedMs >= 4_900 && waitedMs < 10_000, `gave up after ${waitedMs} ms, its bound is 5 s`);
      const exited = await front.waitForLog((l) => l.event === 'worker_exited' && l.pid === pid, 10_000);
      assert.equal(exited.signal, 'SIGKILL');
      await front.waitForLog(
        (l) => l.event === 'worker_started' && l.worker === 2 && timeOf(l) > timeOf(failed),
        15_000,
      );
      const answered = whileStopped.filter((a) => a.status === 200);
      t.diagnostic(`${answered.length} of ${sent} requests on new connections answered while worker 2 was stopped`);
      t.diagnostic(`after its replacement: ${settled.length} of ${sent} settled`);
      assert.ok(answered.length >= sent - 1, `${answered.length} of ${sent} answered`);
      const servedBy = await Promise.all(
        answered.map((a) => waitFor(`access line of ${a.requestId}`, () => workerOfRequest(a.requestId))),
      );
      assert.deepEqual([...new Set(servedBy)], [1], 'the running worker served them');
      for (let i = 0; i < 6; i++) assert.equal((await call(front.port, { tls, path: '/v2/ready' })).status, 200);
      assert.equal(metricSum(await scrape(front.adminPort), 'streamfront_worker_restarts_total'), restartsBefore + 1);
    } finally {
      agent.destroy();
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // Already gone: the primary killed it.
      }
    }
  });

  it('drains every worker on SIGTERM and exits 0', async () => {
    const tls = clientOptions(front.pki, 'good');
    await front.engine.clearRequests();
    await front.engine.setMode({ mode: 'slow', delayMs: 1500 });
    const inFlight = [1, 2, 3, 4].map(() => call(front.port, { tls, path: '/v2/ready' }));
    const deadline = Date.now() + 5000;
    while ((await front.engine.requests()).length < 4) {
      if (Date.now() > deadline) throw new Error('the requests never reached the engine');
      await sleep(10);
    }
    const before = new Set(front.logLines());
    front.signal('SIGTERM');
    const answers = await Promise.all(inFlight);
    assert.deepEqual(
      answers.map((a) => a.status),
      [200, 200, 200, 200],
    );
    assert.deepEqual(jsonOf(answers[0] as never), { isReady: true });
    assert.equal(await front.waitForExit(GRACE_MS + 10_000), 0);
    const stopped = front.logLines().find((l) => l.event === 'workers_stopped');
    assert.equal(stopped?.workers, 2);
    const closed = front.logLines().filter((l) => !before.has(l) && l.msg === 'front closed');
    assert.deepEqual(closed.map((l) => l.worker).sort(), [1, 2], 'each worker drained');
  });
});
