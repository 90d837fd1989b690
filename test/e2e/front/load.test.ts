// run.sh end to end under a steady load of good clients: 8 closed-loop clients (each waits for
// its answer) on keep-alive and fresh connections for 3 s, every request answered 200.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { clientOptions, startFrontProcess, type FrontProcess } from '../../fixtures/front-process.js';
import { startSteadyLoad } from '../../fixtures/load.js';
import { waitUntil } from '../../fixtures/wait.js';
import { metricSum, scrape, sleep } from './client.js';

const CLIENTS = 8;
const SECONDS = 3;

let front: FrontProcess;

before(async () => {
  front = await startFrontProcess();
});

after(async () => {
  await front?.stop();
});

describe('e2e front: steady load', () => {
  it(`serves ${CLIENTS} clients for ${SECONDS} s with no failure`, async (t) => {
    const before = metricSum(await scrape(front.adminPort), 'streamfront_requests_total', { status: '200' });
    const tls = clientOptions(front.pki, 'good');
    const load = startSteadyLoad({
      port: front.port,
      tls: { ca: tls.ca, cert: tls.cert as Buffer, key: tls.key as Buffer },
      clients: CLIENTS,
      freshConnectionShare: 0.1,
    });
    // The load's duration (the workload itself), not a wait for something to happen.
    await sleep(SECONDS * 1000);
    const report = await load.stop();
    t.diagnostic(
      `${CLIENTS} clients: sent ${report.sent} (${(report.sent / SECONDS).toFixed(0)}/s), slowest answer ${report.worstMs.toFixed(0)} ms, ok ${report.ok}, failed ${report.failed}, connections opened ${report.connectionsOpened}, dropped ${report.connectionsDropped}`,
    );
    assert.deepEqual(report.failures, []);
    assert.equal(report.failed, 0);
    assert.equal(report.connectionsDropped, 0);
    // Not a throughput figure (the machine may be busy): enough requests that the shares below mean something.
    assert.ok(report.sent >= 10 * CLIENTS, `only ${report.sent} requests were answered in ${SECONDS} s`);
    assert.equal(report.ok, report.sent);
    // About one request in ten went on a new connection, each showing the imported certificate.
    assert.ok(report.connectionsOpened >= report.sent * 0.08, `${report.connectionsOpened} connections opened`);
    assert.deepEqual([...report.serverCertSerials], [front.pki.server.serial]);
    // Counted once each answer has left: wait for the count to reach the answers, then check it is exact.
    const okNow = async (): Promise<number> =>
      metricSum(await scrape(front.adminPort), 'streamfront_requests_total', { status: '200' });
    await waitUntil('every answer counted', async () => (await okNow()) - before >= report.ok);
    const after = await okNow();
    assert.equal(after - before, report.ok, 'the front counted every answer');
  });
});
