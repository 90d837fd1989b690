// The front's Prometheus metrics, hand-written in the text exposition format 0.0.4.
// Observing is a Map lookup on a precomputed key; all formatting waits for render().
import { ProcessMetrics } from './process-metrics.js';

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] as const;
const HANDSHAKE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

/** accepted: a valid client; refused: finished but refused (no/unknown/revoked certificate, limit); failed: the handshake itself failed. */
export type HandshakeOutcome = 'accepted' | 'refused' | 'failed';
const HANDSHAKE_OUTCOMES: readonly HandshakeOutcome[] = ['accepted', 'refused', 'failed'];

export type MaterialExpiryKind = 'server_cert' | 'ca' | 'crl_next_update';

/** Label value escaping of the exposition format: backslash, double quote and newline. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labels(pairs: Record<string, string>): string {
  const parts = Object.entries(pairs).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

function formatNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}

/** A counter family: series keyed by their rendered label string, so observe() is one Map lookup. */
class CounterFamily {
  readonly series = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labelText: string, by = 1): void {
    this.series.set(labelText, (this.series.get(labelText) ?? 0) + by);
  }
  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`);
    for (const [l, v] of this.series) out.push(`${this.name}${l} ${formatNumber(v)}`);
  }
}

/** A histogram with one series per precomputed label set: observe() is an array walk, no string. */
class Histogram {
  private readonly series: Array<{ labels: string; buckets: number[]; sum: number; count: number }> = [];
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
  ) {}
  /** Registers a label set ('' for none) and returns the index observe() takes. */
  addSeries(labelPairs: Record<string, string>): number {
    const parts = Object.entries(labelPairs).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
    this.series.push({
      labels: parts.join(','),
      buckets: new Array<number>(this.bounds.length).fill(0),
      sum: 0,
      count: 0,
    });
    return this.series.length - 1;
  }
  observe(index: number, value: number): void {
    const s = this.series[index];
    if (s === undefined || !Number.isFinite(value) || value < 0) return;
    s.count++;
    s.sum += value;
    for (let i = 0; i < this.bounds.length; i++) {
      if (value <= (this.bounds[i] as number)) {
        s.buckets[i] = (s.buckets[i] as number) + 1;
        return;
      }
    }
  }
  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`);
    for (const s of this.series) {
      const extra = s.labels === '' ? '' : `,${s.labels}`;
      let cumulative = 0;
      this.bounds.forEach((le, i) => {
        cumulative += s.buckets[i] as number;
        out.push(`${this.name}_bucket{le="${formatNumber(le)}"${extra}} ${cumulative}`);
      });
      const own = s.labels === '' ? '' : `{${s.labels}}`;
      out.push(
        `${this.name}_bucket{le="+Inf"${extra}} ${s.count}`,
        `${this.name}_sum${own} ${formatNumber(s.sum)}`,
        `${this.name}_count${own} ${s.count}`,
      );
    }
  }
}

/** What the serving core (TLS listener, proxy) reports; FrontMetrics is the registry behind it. */
export interface ServingMetrics {
  countRefusedHandshake(reason: string): void;
  observeRequest(route: string, status: number): void;
  /** Seconds from sending upstream to the engine's response head. */
  observeEngineLatency(seconds: number): void;
  /** An accepted TLS connection opened / closed (the open-connections gauge). */
  connectionOpened(): void;
  connectionClosed(): void;
  /** A TCP connection closed to make room in the unauthenticated budget, or dropped at the listener's ceiling. */
  countTurnedAway(reason: string): void;
  /** A connection opened before a CRL revoked its client, closed by the front. */
  countConnectionClosedRevoked(): void;
  /** An answer whose head was sent but whose body was cut off, by who cut it (engine or client). */
  countTruncatedResponse(cause: 'engine' | 'client'): void;
  /** Once per connection: how its TLS handshake ended and how long it took from the TCP connect. */
  observeHandshake(outcome: HandshakeOutcome, seconds: number | undefined): void;
  /** A request that came as an HTTP/2 stream (http2=on); it is also in observeRequest. */
  countHttp2Request(): void;
}

export class FrontMetrics implements ServingMetrics {
  private readonly serverLabel: string;
  private readonly requests = new CounterFamily(
    'streamfront_requests_total',
    'Requests answered by the front, by route pattern and HTTP status.',
  );
  private readonly refused = new CounterFamily(
    'streamfront_tls_handshakes_refused_total',
    'TLS handshakes refused, by reason.',
  );
  private readonly reloadFailures = new CounterFamily(
    'streamfront_reload_failures_total',
    'Live reloads of TLS material that failed and kept the old material, by material and reason.',
  );
  private readonly turnedAway = new CounterFamily(
    'streamfront_connections_turned_away_total',
    'TCP connections closed before authenticating to make room (unauthenticated-evicted) or dropped at the listener ceiling (connection-limit).',
  );
  private readonly truncated = new CounterFamily(
    'streamfront_responses_truncated_total',
    'Answers cut off after their head was sent: the engine reset mid-response (cause=engine) or the client went away (cause=client).',
  );
  private readonly revokedClosed = new CounterFamily(
    'streamfront_revoked_connections_closed_total',
    'Open connections closed because a reloaded CRL revoked their client certificate.',
  );
  private readonly http2Requests = new CounterFamily(
    'streamfront_http2_requests_total',
    'Requests that came as HTTP/2 streams (http2=on); also counted in streamfront_requests_total.',
  );
  private readonly reloads = new CounterFamily(
    'streamfront_reloads_total',
    'Live reloads of changed TLS material: applied (now serving) or refused (the old material kept serving).',
  );
  private readonly handshakes = new CounterFamily(
    'streamfront_tls_handshakes_total',
    'TLS handshakes by outcome: accepted, refused (finished, client refused) or failed (the handshake itself failed).',
  );
  private readonly handshakeSeconds = new Histogram(
    'streamfront_tls_handshake_duration_seconds',
    'Time from TCP connect to the end of the TLS handshake, by outcome.',
    HANDSHAKE_BUCKETS,
  );
  /** Per outcome: the counter's label string and the histogram's series index, made once. */
  private readonly handshakeKeys: Record<HandshakeOutcome, { labels: string; series: number }>;
  private engineUp: number | undefined;
  private engineProbeSeconds: number | undefined;
  private readonly process: ProcessMetrics | undefined;
  // Label strings of request series, cached so the hot path builds no string after the first time.
  private readonly requestKeys = new Map<string, string>();
  private readonly bucketCounts = new Array<number>(LATENCY_BUCKETS.length).fill(0);
  private latencyCount = 0;
  private latencySum = 0;
  private lastGoodLoad: number | undefined;
  private isStale = false;
  private readonly expiry = new Map<MaterialExpiryKind, Date>();
  private openConnections = 0;

  /** withProcess: also sample and export the process and runtime series (the serving process does). */
  constructor(opts: { serverName: string; withProcess?: boolean }) {
    this.serverLabel = labels({ server_name: opts.serverName });
    this.revokedClosed.series.set('', 0);
    this.http2Requests.series.set('', 0);
    // Both series exist from the start, so a rate() over them never starts from a missing series.
    this.truncated.series.set(labels({ cause: 'engine' }), 0);
    this.truncated.series.set(labels({ cause: 'client' }), 0);
    // Both outcomes from the start, so a rate() over them exists before the first reload.
    this.reloads.series.set(labels({ outcome: 'applied' }), 0);
    this.reloads.series.set(labels({ outcome: 'refused' }), 0);
    const keys = {} as Record<HandshakeOutcome, { labels: string; series: number }>;
    for (const outcome of HANDSHAKE_OUTCOMES) {
      keys[outcome] = { labels: labels({ outcome }), series: this.handshakeSeconds.addSeries({ outcome }) };
      this.handshakes.series.set(keys[outcome].labels, 0);
    }
    this.handshakeKeys = keys;
    this.process = opts.withProcess === true ? new ProcessMetrics() : undefined;
  }

  /** Stops the process samplers (event-loop delay, GC observer). */
  stop(): void {
    this.process?.stop();
  }

  /** Once per connection, at the end of its handshake. */
  observeHandshake(outcome: HandshakeOutcome, seconds: number | undefined): void {
    const key = this.handshakeKeys[outcome];
    this.handshakes.inc(key.labels);
    if (seconds !== undefined) this.handshakeSeconds.observe(key.series, seconds);
  }

  countReloadApplied(): void {
    this.reloads.inc(labels({ outcome: 'applied' }));
  }

  /** The last answer of the engine's /v2/ready: up is 1 when it answered ready. */
  setEngineProbe(result: { state: string; seconds: number }): void {
    this.engineUp = result.state === 'ready' ? 1 : 0;
    this.engineProbeSeconds = result.seconds;
  }

  observeRequest(route: string, status: number): void {
    const id = `${status} ${route}`;
    let key = this.requestKeys.get(id);
    if (key === undefined) {
      key = labels({ route, status: String(status) });
      this.requestKeys.set(id, key);
    }
    this.requests.inc(key);
  }

  observeEngineLatency(seconds: number): void {
    if (!Number.isFinite(seconds) || seconds < 0) return;
    this.latencyCount++;
    this.latencySum += seconds;
    // Only the first matching bucket is counted; render() accumulates them.
    for (let i = 0; i < LATENCY_BUCKETS.length; i++) {
      if (seconds <= (LATENCY_BUCKETS[i] as number)) {
        this.bucketCounts[i] = (this.bucketCounts[i] as number) + 1;
        return;
      }
    }
  }

  countRefusedHandshake(reason: string): void {
    this.refused.inc(labels({ reason }));
  }

  countTurnedAway(reason: string): void {
    this.turnedAway.inc(labels({ reason }));
  }

  countReloadFailure(material: string, reason: string): void {
    this.reloadFailures.inc(labels({ material, reason }));
    this.reloads.inc(labels({ outcome: 'refused' }));
  }

  setLastGoodLoad(unixSeconds: number): void {
    this.lastGoodLoad = unixSeconds;
  }

  setStaleMaterial(isStale: boolean): void {
    this.isStale = isStale;
  }

  /** The expiry instant itself (base unit: seconds since the epoch); alerts compute time() - it. */
  setMaterialExpiry(kind: MaterialExpiryKind, at: Date | undefined): void {
    if (at === undefined) this.expiry.delete(kind);
    else this.expiry.set(kind, at);
  }

  countConnectionClosedRevoked(): void {
    this.revokedClosed.inc('');
  }

  countTruncatedResponse(cause: 'engine' | 'client'): void {
    this.truncated.inc(labels({ cause }));
  }

  countHttp2Request(): void {
    this.http2Requests.inc('');
  }

  /** For a 'secureConnection' handler, with connectionClosed() on the socket's 'close'. */
  connectionOpened(): void {
    this.openConnections++;
  }

  connectionClosed(): void {
    if (this.openConnections > 0) this.openConnections--;
  }

  render(): string {
    const out: string[] = [];
    out.push(
      '# HELP streamfront_info The front process, labelled with its server_name.',
      '# TYPE streamfront_info gauge',
      `streamfront_info${this.serverLabel} 1`,
    );
    this.requests.render(out);

    const h = 'streamfront_engine_latency_seconds';
    out.push(
      `# HELP ${h} Time from forwarding a request to the engine until its response headers arrived.`,
      `# TYPE ${h} histogram`,
    );
    let cumulative = 0;
    for (let i = 0; i < LATENCY_BUCKETS.length; i++) {
      cumulative += this.bucketCounts[i] as number;
      out.push(`${h}_bucket{le="${formatNumber(LATENCY_BUCKETS[i] as number)}"} ${cumulative}`);
    }
    out.push(
      `${h}_bucket{le="+Inf"} ${this.latencyCount}`,
      `${h}_sum ${formatNumber(this.latencySum)}`,
      `${h}_count ${this.latencyCount}`,
    );

    this.refused.render(out);
    this.turnedAway.render(out);
    this.reloadFailures.render(out);
    this.revokedClosed.render(out);
    this.truncated.render(out);
    this.http2Requests.render(out);

    out.push(
      '# HELP streamfront_material_last_good_load_timestamp_seconds Unix time of the last successful load of the TLS material.',
      '# TYPE streamfront_material_last_good_load_timestamp_seconds gauge',
    );
    if (this.lastGoodLoad !== undefined)
      out.push(`streamfront_material_last_good_load_timestamp_seconds ${formatNumber(this.lastGoodLoad)}`);
    out.push(
      '# HELP streamfront_material_stale 1 when the files on disk changed but could not be loaded, so older material still serves.',
      '# TYPE streamfront_material_stale gauge',
      `streamfront_material_stale ${this.isStale ? 1 : 0}`,
    );

    const e = 'streamfront_material_expiry_timestamp_seconds';
    out.push(
      `# HELP ${e} Unix time at which the server certificate, the CA certificate or the CRL (nextUpdate) expire, by kind.`,
      `# TYPE ${e} gauge`,
    );
    for (const [kind, at] of this.expiry) out.push(`${e}${labels({ kind })} ${formatNumber(at.getTime() / 1000)}`);
    this.reloads.render(out);
    this.handshakes.render(out);
    this.handshakeSeconds.render(out);
    if (this.engineUp !== undefined) {
      out.push(
        '# HELP streamfront_engine_up 1 when the engine answered its last /v2/ready probe as ready, else 0.',
        '# TYPE streamfront_engine_up gauge',
        `streamfront_engine_up ${this.engineUp}`,
      );
      out.push(
        '# HELP streamfront_engine_probe_duration_seconds Time the last /v2/ready probe of the engine took.',
        '# TYPE streamfront_engine_probe_duration_seconds gauge',
        `streamfront_engine_probe_duration_seconds ${formatNumber(this.engineProbeSeconds ?? 0)}`,
      );
    }
    out.push(
      '# HELP streamfront_open_connections TLS connections currently open.',
      '# TYPE streamfront_open_connections gauge',
      `streamfront_open_connections ${this.openConnections}`,
    );
    this.process?.render(out);
    return `${out.join('\n')}\n`;
  }
}
