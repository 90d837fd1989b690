// run.sh end to end against a client without a certificate that tries to lock everyone out:
// 1,030 silent TCP connections and 2,000 TLS connections that never send a request, opened by a
// separate process, while a good client keeps asking on fresh connections. The good client must
// keep getting 200 within 1 s (95th percentile; a locked-out client waits for the 10 s handshake
// timeout to free a slot, so no single answer may take half of that); the front holds at most max_unauthenticated_connections of the
// attacker's sockets, counts the ones it turned away and logs them rate-limited.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { connect as netConnect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { clientOptions, startFrontProcess, type FrontProcess } from '../../fixtures/front-process.js';
import { waitUntil } from '../../fixtures/wait.js';
import { call, metricSum, scrape, sleep } from '../front/client.js';

const SILENT = 1030;
const IDLE_TLS = 2000;
// Handshakes in flight at once: enough to open all 3,030 sockets in seconds. A flood that keeps
// both cores busy with handshakes is a CPU-exhaustion attack, bounded by CPU, not by these budgets.
const CONCURRENCY = 16;
const HOLD_MS = 3000;
const BUDGET = 256;
const GOOD_BOUND_MS = 1000;
// The worst single answer: far above what a busy 2-core machine adds to one request, far below the
// handshake timeout that a client starved of a connection slot would wait for.
const WORST_BOUND_MS = 5000;
const ATTACKER = fileURLToPath(new URL('./attacker.js', import.meta.url));

interface AttackReport {
  opened: number;
  handshakes: number;
  failed: number;
  closedByFront: number;
  attackMs: number;
  stillOpen: number;
}

function runAttacker(port: number): Promise<AttackReport> {
  return new Promise((resolve, reject) => {
    // Niced: a real attacker spends its own machine's CPU on its side of the handshakes, not the
    // front's; on one machine its client work must not count against the front's answers. Not
    // 19: beside a busy loop on every core it then got almost no CPU and ran past its 120 s.
    execFile(
      'nice',
      [
        '-n',
        '5',
        process.execPath,
        ATTACKER,
        String(port),
        String(SILENT),
        String(IDLE_TLS),
        String(CONCURRENCY),
        String(HOLD_MS),
      ],
      { timeout: 120_000 },
      (err, stdout) => {
        if (err !== null) reject(err);
        else resolve(JSON.parse(stdout) as AttackReport);
      },
    );
  });
}

describe('e2e hostile: no pre-auth lockout', () => {
  let front: FrontProcess;

  before(async () => {
    // The defaults: max_connections 1024, max_unauthenticated_connections 256, handshake_timeout_ms 10000.
    front = await startFrontProcess();
  });

  after(async () => {
    await front?.stop();
  });

  it(`a good client keeps getting 200 within ${GOOD_BOUND_MS} ms through ${SILENT} silent and ${IDLE_TLS} idle TLS connections`, async (t) => {
    const tls = clientOptions(front.pki, 'good');
    const attack = runAttacker(front.port);
    let isAttacking = true;
    void attack.finally(() => (isAttacking = false));
    const good: Array<{ status: number | string; ms: number }> = [];
    while (isAttacking) {
      const t0 = performance.now();
      const status = await call(front.port, { tls, path: '/v2/ready' }).then(
        (r) => r.status,
        (err: NodeJS.ErrnoException) => err.code ?? err.message,
      );
      good.push({ status, ms: performance.now() - t0 });
      // Pacing of the good client (one request every ~50 ms), not a wait for something to happen.
      await sleep(50);
    }
    const report = await attack;
    const sorted = good.map((g) => g.ms).sort((a, b) => a - b);
    const worst = sorted[sorted.length - 1] ?? 0;
    const p95 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))] ?? 0;
    t.diagnostic(
      `attacker: ${JSON.stringify(report)}; good client: ${good.length} requests, p95 ${p95.toFixed(0)} ms, worst ${worst.toFixed(0)} ms`,
    );
    assert.ok(good.length >= 10, `the good client asked ${good.length} times during the attack`);
    assert.deepEqual(
      good.filter((g) => g.status !== 200),
      [],
      'every good request answered 200',
    );
    assert.ok(p95 < GOOD_BOUND_MS, `95% of good requests took up to ${p95.toFixed(0)} ms`);
    assert.ok(worst < WORST_BOUND_MS, `worst good request took ${worst.toFixed(0)} ms`);
    assert.ok(report.stillOpen <= BUDGET, `the front held ${report.stillOpen} attacker sockets (budget ${BUDGET})`);
    const turnedAway = metricSum(await scrape(front.adminPort), 'streamfront_connections_turned_away_total', {
      reason: 'unauthenticated-evicted',
    });
    assert.ok(turnedAway >= SILENT + IDLE_TLS - BUDGET - report.failed, `turned away ${turnedAway}`);
    // Logged, but rate-limited: a burst of 50 and 10 a second, never a line per connection.
    const logged = front
      .logLines()
      .filter((l) => l.msg === 'connection turned away' || l.msg === 'refused TLS client').length;
    const seconds = (report.attackMs + HOLD_MS) / 1000;
    assert.ok(
      logged <= 50 + 10 * (seconds + 2),
      `${logged} lines for ${turnedAway} turned-away connections in ${seconds.toFixed(1)} s`,
    );
    assert.ok(logged > 0, 'the turned-away connections are logged');
  });
});

describe('e2e hostile: handshake timeout', () => {
  const HANDSHAKE_MS = 1000;
  let front: FrontProcess;

  before(async () => {
    front = await startFrontProcess({ config: { handshake_timeout_ms: String(HANDSHAKE_MS) } });
  });

  after(async () => {
    await front?.stop();
  });

  it(`closes a connection that sends nothing after handshake_timeout_ms (${HANDSHAKE_MS} ms) and counts it`, async (t) => {
    const t0 = performance.now();
    const closedAfter = await new Promise<number>((resolve, reject) => {
      const socket = netConnect({ host: '127.0.0.1', port: front.port });
      socket.on('error', () => undefined);
      socket.once('close', () => resolve(performance.now() - t0));
      setTimeout(() => reject(new Error('still open after 20 s')), 20_000).unref();
    });
    t.diagnostic(`closed after ${closedAfter.toFixed(0)} ms`);
    assert.ok(closedAfter >= HANDSHAKE_MS - 50, `closed after ${closedAfter.toFixed(0)} ms`);
    const countedNow = async (): Promise<number> =>
      metricSum(await scrape(front.adminPort), 'streamfront_tls_handshakes_refused_total', {
        reason: 'handshake-timeout',
      });
    await waitUntil('the handshake timeout counted', async () => (await countedNow()) > 0);
    assert.equal(await countedNow(), 1);
  });

  it('closes a refused TLS connection that never sends its request after the same time', async (t) => {
    const t0 = performance.now();
    const { connect } = await import('node:tls');
    const closedAfter = await new Promise<number>((resolve, reject) => {
      const socket = connect({
        host: '127.0.0.1',
        port: front.port,
        ...clientOptions(front.pki, 'none'),
        servername: 'localhost',
      });
      socket.on('error', () => undefined);
      socket.once('close', () => resolve(performance.now() - t0));
      setTimeout(() => reject(new Error('still open after 20 s')), 20_000).unref();
    });
    t.diagnostic(`closed after ${closedAfter.toFixed(0)} ms`);
    assert.ok(closedAfter >= HANDSHAKE_MS - 50 && closedAfter < 15_000, `closed after ${closedAfter.toFixed(0)} ms`);
  });
});
