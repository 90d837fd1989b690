// /metrics of the real run.sh as Prometheus tooling sees it: a live scrape passes
// `promtool check metrics` (names, units, types, help), with the process series, handshakes by
// outcome and the engine gauges in it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { clientOptions, startFrontProcess, type FrontProcess } from '../../fixtures/front-process.js';
import { adminGet, call, metricSum, parseMetrics } from './client.js';

const hasPromtool = spawnSync('promtool', ['--version']).status === 0;

describe('e2e front: /metrics and promtool', () => {
  let front: FrontProcess;
  before(async () => {
    front = await startFrontProcess();
  });
  after(async () => {
    await front?.stop();
  });

  it('a live scrape passes promtool check metrics', async () => {
    assert.ok(hasPromtool, 'promtool not found: install the Debian package prometheus (bash .ci/run does)');
    assert.equal(
      (await call(front.port, { tls: clientOptions(front.pki, 'good'), method: 'GET', path: '/v2/ready' })).status,
      200,
    );
    assert.equal(
      (
        await call(front.port, { tls: clientOptions(front.pki, 'revoked'), method: 'GET', path: '/v2/ready' }).catch(
          () => ({ status: 0 }),
        )
      ).status !== 200,
      true,
    );
    assert.equal((await adminGet(front.adminPort, '/readyz')).status, 200, 'a readiness probe sets the engine gauges');
    const scrape = await adminGet(front.adminPort, '/metrics');
    assert.equal(scrape.status, 200);
    const text = scrape.body.toString();
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(lint.status, 0, `${lint.stdout}${lint.stderr}`);
    const samples = parseMetrics(text);
    for (const name of [
      'process_resident_memory_bytes',
      'process_cpu_seconds_total',
      'process_open_fds',
      'process_max_fds',
      'process_start_time_seconds',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
    ]) {
      assert.ok(
        samples.some((s) => s.name === name),
        `${name} exported`,
      );
    }
    assert.ok(metricSum(samples, 'streamfront_tls_handshakes_total', { outcome: 'accepted' }) >= 1);
    assert.ok(metricSum(samples, 'streamfront_tls_handshakes_total', { outcome: 'refused' }) >= 1);
    assert.ok(metricSum(samples, 'streamfront_tls_handshake_duration_seconds_count', { outcome: 'accepted' }) >= 1);
    assert.equal(metricSum(samples, 'streamfront_engine_up'), 1);
    assert.ok(
      metricSum(samples, 'streamfront_material_expiry_timestamp_seconds', { kind: 'server_cert' }) > Date.now() / 1000,
    );
  });
});

describe('e2e front: /metrics of a group (workers=2) and promtool', () => {
  let front: FrontProcess;
  before(async () => {
    front = await startFrontProcess({ config: { workers: '2' } });
  });
  after(async () => {
    await front?.stop();
  });

  it('the merged scrape passes promtool check metrics, each family once', async () => {
    assert.ok(hasPromtool, 'promtool not found: install the Debian package prometheus (bash .ci/run does)');
    const tls = clientOptions(front.pki, 'good');
    for (let i = 0; i < 4; i++) assert.equal((await call(front.port, { tls, path: '/v2/ready' })).status, 200);
    assert.equal((await adminGet(front.adminPort, '/readyz')).status, 200);
    const text = (await adminGet(front.adminPort, '/metrics')).body.toString();
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(lint.status, 0, `${lint.stdout}${lint.stderr}`);
    const types = text.split('\n').filter((l) => l.startsWith('# TYPE '));
    assert.equal(new Set(types).size, types.length, 'no family twice');
    const samples = parseMetrics(text);
    assert.ok(metricSum(samples, 'streamfront_tls_handshakes_total', { outcome: 'accepted' }) >= 4);
    assert.equal(metricSum(samples, 'streamfront_engine_up'), 1);
    assert.ok(samples.some((s) => s.name === 'process_resident_memory_bytes'));
  });
});
