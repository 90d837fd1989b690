import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrontMetrics } from '../../../src/server/metrics.js';
import {
  mergeExpositions,
  parseExposition,
  RetiredTotals,
  withWorkerLabel,
} from '../../../src/server/metrics-merge.js';

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

function worker(requests: number, open: number): FrontMetrics {
  const m = new FrontMetrics({ serverName: 'sf' });
  for (let i = 0; i < requests; i++) {
    m.observeRequest('infer', 200);
    m.observeEngineLatency(0.02);
    m.observeHandshake('accepted', 0.003);
  }
  m.countRefusedHandshake('revoked');
  for (let i = 0; i < open; i++) m.connectionOpened();
  return m;
}

test('counters and histograms of every worker are summed into one family each', () => {
  const primary = new FrontMetrics({ serverName: 'sf' });
  primary.countReloadApplied();
  const text = mergeExpositions(
    primary.render(),
    [
      { id: 1, pid: 101, text: worker(3, 1).render() },
      { id: 2, pid: 102, text: worker(4, 2).render() },
    ],
    0,
  );
  assert.equal(sample(text, 'streamfront_requests_total{route="infer",status="200"}'), 7);
  assert.equal(sample(text, 'streamfront_tls_handshakes_refused_total{reason="revoked"}'), 2);
  assert.equal(sample(text, 'streamfront_engine_latency_seconds_count'), 7);
  assert.equal(sample(text, 'streamfront_engine_latency_seconds_bucket{le="0.025"}'), 7);
  assert.equal(sample(text, 'streamfront_tls_handshake_duration_seconds_count{outcome="accepted"}'), 7);
  assert.equal(sample(text, 'streamfront_tls_handshakes_total{outcome="accepted"}'), 7);
  // Only the primary reloads: the workers' zeros add nothing.
  assert.equal(sample(text, 'streamfront_reloads_total{outcome="applied"}'), 1);
  for (const name of ['streamfront_requests_total', 'streamfront_engine_latency_seconds', 'streamfront_info'])
    assert.equal(text.match(new RegExp(`^# TYPE ${name} `, 'gm'))?.length, 1, `${name} once`);
});

test('open connections stay per worker; the primary keeps its own gauges', () => {
  const primary = new FrontMetrics({ serverName: 'sf' });
  primary.setStaleMaterial(true);
  const text = mergeExpositions(
    primary.render(),
    [
      { id: 1, pid: 101, text: worker(0, 1).render() },
      { id: 2, pid: 102, text: worker(0, 2).render() },
    ],
    0,
  );
  assert.equal(sample(text, 'streamfront_open_connections{worker="1"}'), 1);
  assert.equal(sample(text, 'streamfront_open_connections{worker="2"}'), 2);
  assert.equal(sample(text, 'streamfront_open_connections'), undefined, "the primary's 0 is not shown");
  assert.equal(sample(text, 'streamfront_material_stale'), 1, "the primary's value, not the workers'");
  assert.equal(sample(text, 'streamfront_info{server_name="sf"}'), 1);
});

test('a worker that did not answer shows as down, and restarts are counted', () => {
  const primary = new FrontMetrics({ serverName: 'sf' });
  const text = mergeExpositions(
    primary.render(),
    [
      { id: 1, pid: 101, text: worker(2, 0).render() },
      { id: 2, pid: 202, text: undefined },
    ],
    3,
  );
  assert.equal(sample(text, 'streamfront_worker_info{worker="1",pid="101"}'), 1);
  assert.equal(sample(text, 'streamfront_worker_info{worker="2",pid="202"}'), 0);
  assert.equal(sample(text, 'streamfront_worker_restarts_total'), 3);
  assert.equal(sample(text, 'streamfront_requests_total{route="infer",status="200"}'), 2);
});

test('a gauge only workers have is kept per worker; special values survive', () => {
  const extra =
    '# HELP x_gauge A gauge.\n# TYPE x_gauge gauge\nx_gauge{a="b c"} 5\n# HELP x_total Inf.\n# TYPE x_total counter\nx_total +Inf\n';
  const text = mergeExpositions('', [{ id: 3, pid: 1, text: extra }], 0);
  assert.equal(sample(text, 'x_gauge{a="b c",worker="3"}'), 5);
  assert.match(text, /^x_total \+Inf$/m);
  assert.match(text, /^# HELP x_gauge A gauge\.$/m);
});

test('the exposition parser and the worker label', () => {
  const families = parseExposition('# HELP a_total Help text.\n# TYPE a_total counter\na_total{x="1"} 2\n# stray\n');
  assert.deepEqual(
    families.map((f) => [f.name, f.type, f.help, [...f.samples]]),
    [['a_total', 'counter', 'Help text.', [['a_total{x="1"}', 2]]]],
  );
  assert.equal(withWorkerLabel('a', 2), 'a{worker="2"}');
  assert.equal(withWorkerLabel('a{x="1"}', 2), 'a{x="1",worker="2"}');
  assert.equal(parseExposition('-Inf line before any type 1\n').length, 0);
});

test("process series: CPU summed over the group, each worker's memory and loop lag beside the primary's", () => {
  const primary = new FrontMetrics({ serverName: 'sf', withProcess: true });
  const w1 = new FrontMetrics({ serverName: 'sf', withProcess: true });
  const w2 = new FrontMetrics({ serverName: 'sf', withProcess: true });
  try {
    const own = primary.render();
    const text = mergeExpositions(
      own,
      [
        { id: 1, pid: 101, text: w1.render() },
        { id: 2, pid: 102, text: w2.render() },
      ],
      0,
    );
    for (const name of ['process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'process_open_fds']) {
      assert.ok((sample(text, name) ?? 0) >= 0, `${name}: the primary's own series`);
      assert.ok(sample(text, `${name}{worker="1"}`) !== undefined, `${name} of worker 1`);
      assert.ok(sample(text, `${name}{worker="2"}`) !== undefined, `${name} of worker 2`);
    }
    const cpu = sample(text, 'process_cpu_seconds_total') as number;
    assert.ok(cpu >= (sample(own, 'process_cpu_seconds_total') as number) * 3 - 1e-6, 'three processes summed');
    assert.equal(sample(text, 'process_max_fds{worker="1"}'), undefined, "the primary's limit only");
    assert.equal(text.match(/^# TYPE process_resident_memory_bytes /gm)?.length, 1);
  } finally {
    primary.stop();
    w1.stop();
    w2.stop();
  }
});

test('a replaced worker does not make a summed counter drop: its last counts stay in the sums', () => {
  const primary = new FrontMetrics({ serverName: 'sf' }).render();
  const first = worker(3, 1).render();
  const retired = new RetiredTotals();
  const before = mergeExpositions(
    primary,
    [
      { id: 1, pid: 101, text: first },
      { id: 2, pid: 102, text: worker(4, 2).render() },
    ],
    0,
    retired,
  );
  // Worker 1 is killed; its replacement starts from zero and has served one request since.
  retired.fold(first);
  const after = mergeExpositions(
    primary,
    [
      { id: 1, pid: 103, text: worker(1, 0).render() },
      { id: 2, pid: 102, text: worker(4, 2).render() },
    ],
    1,
    retired,
  );
  assert.equal(sample(after, 'streamfront_requests_total{route="infer",status="200"}'), 8);
  const summed = parseExposition(before).filter((f) => f.type === 'counter' || f.type === 'histogram');
  assert.ok(summed.length >= 4, 'counters and histograms to compare');
  for (const f of summed)
    for (const [series, value] of f.samples)
      assert.ok((sample(after, series) ?? -1) >= value, `${series}: ${sample(after, series)} after, ${value} before`);
  // Its gauges died with it: open connections are the live workers' only.
  assert.equal(sample(after, 'streamfront_open_connections{worker="1"}'), 0);
  assert.equal(sample(after, 'streamfront_open_connections{worker="2"}'), 2);
});
