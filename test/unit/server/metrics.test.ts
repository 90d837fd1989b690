// FrontMetrics as Prometheus would read it: a small exposition-format checker parses the
// whole output, then each metric is checked for the value an operator would see.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { FrontMetrics, escapeLabelValue } from '../../../src/server/metrics.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const SAMPLE = new RegExp(`^(${NAME})(\\{(.*)\\})? (\\S+)$`);
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\\\|\\"|\\n)*)"(,|$)/;

/** Parses text format 0.0.4 strictly enough to catch what Prometheus would refuse. */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  assert.ok(text.endsWith('\n'), 'output ends with a newline');
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples: Sample[] = [];
  for (const line of text.slice(0, -1).split('\n')) {
    assert.notEqual(line, '', 'no blank lines');
    if (line.startsWith('# HELP ')) {
      const name = line.split(' ')[2] as string;
      assert.ok(!helps.has(name), `one HELP for ${name}`);
      helps.add(name);
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      assert.match(type ?? '', /^(counter|gauge|histogram|summary|untyped)$/, line);
      assert.ok(!types.has(name as string), `one TYPE for ${name}`);
      types.set(name as string, type as string);
      continue;
    }
    const m = SAMPLE.exec(line);
    assert.ok(m, `sample line parses: ${line}`);
    const labels: Record<string, string> = {};
    let rest = m[3] ?? '';
    while (rest.length > 0) {
      const l = LABEL.exec(rest);
      assert.ok(l, `labels parse: ${line}`);
      labels[l[1] as string] = (l[2] as string).replace(/\\(.)/g, (_s, c: string) => (c === 'n' ? '\n' : c));
      rest = rest.slice(l[0].length);
    }
    const raw = m[4] as string;
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
    assert.ok(raw === 'NaN' || !Number.isNaN(value), `value parses: ${line}`);
    const name = m[1] as string;
    const family = [name, name.replace(/_(bucket|sum|count)$/, '')].find((n) => types.has(n));
    assert.ok(family, `TYPE line precedes ${name}`);
    samples.push({ name, labels, value });
  }
  return { samples, types };
}

function find(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

describe('FrontMetrics', () => {
  it('renders valid exposition text with every family typed, even with nothing observed', () => {
    const { types } = parseExposition(new FrontMetrics({ serverName: 'StreamServer' }).render());
    assert.equal(types.get('streamfront_requests_total'), 'counter');
    assert.equal(types.get('streamfront_engine_latency_seconds'), 'histogram');
    assert.equal(types.get('streamfront_material_expiry_timestamp_seconds'), 'gauge');
    assert.equal(types.get('streamfront_tls_handshake_duration_seconds'), 'histogram');
    assert.equal(types.get('streamfront_material_stale'), 'gauge');
  });

  it('counts requests by route pattern and status', () => {
    const m = new FrontMetrics({ serverName: 's' });
    m.observeRequest('/v2/models/:name/infer', 200);
    m.observeRequest('/v2/models/:name/infer', 200);
    m.observeRequest('/v2/models/:name/infer', 502);
    const { samples } = parseExposition(m.render());
    assert.equal(
      find(samples, 'streamfront_requests_total', { route: '/v2/models/:name/infer', status: '200' })?.value,
      2,
    );
    assert.equal(
      find(samples, 'streamfront_requests_total', { route: '/v2/models/:name/infer', status: '502' })?.value,
      1,
    );
  });

  it('keeps a cumulative latency histogram whose +Inf bucket equals the count', () => {
    const m = new FrontMetrics({ serverName: 's' });
    for (const s of [0.003, 0.2, 0.2, 7, 120]) m.observeEngineLatency(s);
    const { samples } = parseExposition(m.render());
    const h = 'streamfront_engine_latency_seconds';
    assert.equal(find(samples, `${h}_bucket`, { le: '0.005' })?.value, 1);
    assert.equal(find(samples, `${h}_bucket`, { le: '0.25' })?.value, 3);
    assert.equal(find(samples, `${h}_bucket`, { le: '10' })?.value, 4);
    assert.equal(find(samples, `${h}_bucket`, { le: '+Inf' })?.value, 5);
    assert.equal(find(samples, `${h}_count`)?.value, 5);
    assert.ok(Math.abs((find(samples, `${h}_sum`)?.value ?? 0) - 127.403) < 1e-9);
    const buckets = samples.filter((s) => s.name === `${h}_bucket`).map((s) => s.value);
    assert.deepEqual(
      buckets,
      [...buckets].sort((a, b) => a - b),
      'buckets never decrease',
    );
  });

  it('escapes label values so a hostile reason cannot break the format', () => {
    const m = new FrontMetrics({ serverName: 'a"b' });
    const reason = 'bad "cert"\\path\nnext';
    m.countRefusedHandshake(reason);
    m.countReloadFailure('crl', 'expired');
    const text = m.render();
    assert.ok(text.includes(escapeLabelValue(reason)));
    const { samples } = parseExposition(text);
    assert.equal(find(samples, 'streamfront_tls_handshakes_refused_total', { reason })?.value, 1);
    assert.equal(find(samples, 'streamfront_reload_failures_total', { material: 'crl', reason: 'expired' })?.value, 1);
    assert.equal(find(samples, 'streamfront_info', { server_name: 'a"b' })?.value, 1);
  });

  it('exposes expiry as a unix timestamp in seconds (base units) and drops a kind set to undefined', () => {
    const m = new FrontMetrics({ serverName: 's' });
    m.setMaterialExpiry('server_cert', new Date('2026-01-31T00:00:00Z'));
    m.setMaterialExpiry('crl_next_update', new Date('2025-12-31T12:00:00.500Z'));
    m.setMaterialExpiry('ca', new Date('2030-01-01T00:00:00Z'));
    m.setMaterialExpiry('ca', undefined);
    const { samples } = parseExposition(m.render());
    assert.equal(
      find(samples, 'streamfront_material_expiry_timestamp_seconds', { kind: 'server_cert' })?.value,
      Date.UTC(2026, 0, 31) / 1000,
    );
    assert.equal(
      find(samples, 'streamfront_material_expiry_timestamp_seconds', { kind: 'crl_next_update' })?.value,
      Date.UTC(2025, 11, 31, 12) / 1000 + 0.5,
    );
    assert.equal(find(samples, 'streamfront_material_expiry_timestamp_seconds', { kind: 'ca' }), undefined);
    assert.equal(
      samples.some((x) => x.name === 'streamfront_material_expiry_days'),
      false,
    );
  });

  it('counts reloads, handshakes by outcome with their durations, and the engine probe', () => {
    const m = new FrontMetrics({ serverName: 's' });
    const before = parseExposition(m.render()).samples;
    assert.equal(find(before, 'streamfront_reloads_total', { outcome: 'applied' })?.value, 0);
    assert.equal(find(before, 'streamfront_tls_handshakes_total', { outcome: 'failed' })?.value, 0);
    assert.equal(find(before, 'streamfront_engine_up'), undefined, 'no probe yet, no guess');
    m.countReloadApplied();
    m.countReloadFailure('crl', 'PKI_CRL_EXPIRED');
    m.observeHandshake('accepted', 0.004);
    m.observeHandshake('accepted', 0.02);
    m.observeHandshake('refused', 0.003);
    m.setEngineProbe({ state: 'unreachable', seconds: 2 });
    const { samples } = parseExposition(m.render());
    assert.equal(find(samples, 'streamfront_reloads_total', { outcome: 'applied' })?.value, 1);
    assert.equal(find(samples, 'streamfront_reloads_total', { outcome: 'refused' })?.value, 1);
    assert.equal(find(samples, 'streamfront_tls_handshakes_total', { outcome: 'accepted' })?.value, 2);
    assert.equal(
      find(samples, 'streamfront_tls_handshake_duration_seconds_bucket', { outcome: 'accepted', le: '0.005' })?.value,
      1,
    );
    assert.equal(
      find(samples, 'streamfront_tls_handshake_duration_seconds_bucket', { outcome: 'accepted', le: '+Inf' })?.value,
      2,
    );
    assert.equal(find(samples, 'streamfront_tls_handshake_duration_seconds_count', { outcome: 'refused' })?.value, 1);
    assert.equal(find(samples, 'streamfront_engine_up')?.value, 0);
    assert.equal(find(samples, 'streamfront_engine_probe_duration_seconds')?.value, 2);
  });

  it('exports the process and runtime series of a Node service', () => {
    const m = new FrontMetrics({ serverName: 's', withProcess: true });
    const { samples } = parseExposition(m.render());
    m.stop();
    for (const name of [
      'process_resident_memory_bytes',
      'process_cpu_seconds_total',
      'process_open_fds',
      'process_max_fds',
      'process_start_time_seconds',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
    ]) {
      const sample = find(samples, name);
      assert.ok(sample !== undefined && Number.isFinite(sample.value), `${name} present`);
    }
    const start = find(samples, 'process_start_time_seconds')?.value as number;
    assert.ok(Math.abs(start - (Date.now() - process.uptime() * 1000) / 1000) < 5, 'start time is this process start');
  });

  it('reports stale material, last good load, revoked closes and open connections', () => {
    const m = new FrontMetrics({ serverName: 's' });
    m.setStaleMaterial(true);
    m.setLastGoodLoad(1_700_000_000);
    m.countConnectionClosedRevoked();
    m.countConnectionClosedRevoked();
    const { samples } = parseExposition(m.render());
    assert.equal(find(samples, 'streamfront_material_stale')?.value, 1);
    assert.equal(find(samples, 'streamfront_material_last_good_load_timestamp_seconds')?.value, 1_700_000_000);
    assert.equal(find(samples, 'streamfront_revoked_connections_closed_total')?.value, 2);
    assert.equal(find(samples, 'streamfront_open_connections')?.value, 0);
    m.connectionOpened();
    m.connectionOpened();
    m.connectionClosed();
    assert.equal(find(parseExposition(m.render()).samples, 'streamfront_open_connections')?.value, 1);
    m.setStaleMaterial(false);
    assert.equal(find(parseExposition(m.render()).samples, 'streamfront_material_stale')?.value, 0);
  });

  it('counts answers cut off after their head, by cause, both series present from the start', () => {
    const m = new FrontMetrics({ serverName: 's' });
    assert.equal(
      find(parseExposition(m.render()).samples, 'streamfront_responses_truncated_total', { cause: 'engine' })?.value,
      0,
    );
    m.countTruncatedResponse('engine');
    m.countTruncatedResponse('client');
    m.countTruncatedResponse('engine');
    const { samples } = parseExposition(m.render());
    assert.equal(find(samples, 'streamfront_responses_truncated_total', { cause: 'engine' })?.value, 2);
    assert.equal(find(samples, 'streamfront_responses_truncated_total', { cause: 'client' })?.value, 1);
  });
});
