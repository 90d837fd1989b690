// The front's Prometheus metrics, hand-written in the text exposition format 0.0.4.
// Observing is a Map lookup on a precomputed key; all formatting waits for render().
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] as const;
const DAY_SECONDS = 86_400;

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
  constructor(readonly name: string, readonly help: string) {}
  inc(labelText: string, by = 1): void {
    this.series.set(labelText, (this.series.get(labelText) ?? 0) + by);
  }
  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`);
    for (const [l, v] of this.series) out.push(`${this.name}${l} ${formatNumber(v)}`);
  }
}

export class FrontMetrics {
  private readonly serverLabel: string;
  private readonly requests = new CounterFamily('streamfront_requests_total', 'Requests answered by the front, by route pattern and HTTP status.');
  private readonly refused = new CounterFamily('streamfront_tls_handshakes_refused_total', 'TLS handshakes refused, by reason.');
  private readonly reloadFailures = new CounterFamily('streamfront_reload_failures_total', 'Live reloads of TLS material that failed and kept the old material, by material and reason.');
  private readonly turnedAway = new CounterFamily('streamfront_connections_turned_away_total', 'TCP connections closed before authenticating to make room (unauthenticated-evicted) or dropped at the listener ceiling (connection-limit).');
  private readonly truncated = new CounterFamily('streamfront_responses_truncated_total', 'Answers cut off after their head was sent: the engine reset mid-response (cause=engine) or the client went away (cause=client).');
  private readonly revokedClosed = new CounterFamily('streamfront_revoked_connections_closed_total', 'Open connections closed because a reloaded CRL revoked their client certificate.');
  // Label strings of request series, cached so the hot path builds no string after the first time.
  private readonly requestKeys = new Map<string, string>();
  private readonly bucketCounts = new Array<number>(LATENCY_BUCKETS.length).fill(0);
  private latencyCount = 0;
  private latencySum = 0;
  private lastGoodLoad: number | undefined;
  private isStale = false;
  private readonly expiry = new Map<MaterialExpiryKind, Date>();
  private openConnections = 0;

  constructor(opts: { serverName: string }) {
    this.serverLabel = labels({ server_name: opts.serverName });
    this.revokedClosed.series.set('', 0);
    // Both series exist from the start, so a rate() over them never starts from a missing series.
    this.truncated.series.set(labels({ cause: 'engine' }), 0);
    this.truncated.series.set(labels({ cause: 'client' }), 0);
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
  }

  setLastGoodLoad(unixSeconds: number): void {
    this.lastGoodLoad = unixSeconds;
  }

  setStaleMaterial(isStale: boolean): void {
    this.isStale = isStale;
  }

  /** Days are computed at render time, so the gauge counts down without anyone calling again. */
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

  setOpenConnections(n: number): void {
    this.openConnections = n;
  }

  /** For a 'secureConnection' handler, with connectionClosed() on the socket's 'close'. */
  connectionOpened(): void {
    this.openConnections++;
  }

  connectionClosed(): void {
    if (this.openConnections > 0) this.openConnections--;
  }

  render(now: Date = new Date()): string {
    const out: string[] = [];
    out.push('# HELP streamfront_info The front process, labelled with its server_name.', '# TYPE streamfront_info gauge', `streamfront_info${this.serverLabel} 1`);
    this.requests.render(out);

    const h = 'streamfront_engine_latency_seconds';
    out.push(`# HELP ${h} Time from forwarding a request to the engine until its response headers arrived.`, `# TYPE ${h} histogram`);
    let cumulative = 0;
    for (let i = 0; i < LATENCY_BUCKETS.length; i++) {
      cumulative += this.bucketCounts[i] as number;
      out.push(`${h}_bucket{le="${formatNumber(LATENCY_BUCKETS[i] as number)}"} ${cumulative}`);
    }
    out.push(`${h}_bucket{le="+Inf"} ${this.latencyCount}`, `${h}_sum ${formatNumber(this.latencySum)}`, `${h}_count ${this.latencyCount}`);

    this.refused.render(out);
    this.turnedAway.render(out);
    this.reloadFailures.render(out);
    this.revokedClosed.render(out);
    this.truncated.render(out);

    out.push('# HELP streamfront_material_last_good_load_timestamp_seconds Unix time of the last successful load of the TLS material.', '# TYPE streamfront_material_last_good_load_timestamp_seconds gauge');
    if (this.lastGoodLoad !== undefined) out.push(`streamfront_material_last_good_load_timestamp_seconds ${formatNumber(this.lastGoodLoad)}`);
    out.push('# HELP streamfront_material_stale 1 when the files on disk changed but could not be loaded, so older material still serves.', '# TYPE streamfront_material_stale gauge', `streamfront_material_stale ${this.isStale ? 1 : 0}`);

    out.push('# HELP streamfront_material_expiry_days Days until the server certificate, the CA or the CRL nextUpdate expire (negative once past).', '# TYPE streamfront_material_expiry_days gauge');
    for (const [kind, at] of this.expiry) {
      const days = (at.getTime() - now.getTime()) / 1000 / DAY_SECONDS;
      out.push(`streamfront_material_expiry_days${labels({ kind })} ${formatNumber(Math.round(days * 1000) / 1000)}`);
    }
    out.push('# HELP streamfront_open_connections TLS connections currently open.', '# TYPE streamfront_open_connections gauge', `streamfront_open_connections ${this.openConnections}`);
    // Read at scrape time only: a soak or an operator sees a heap that keeps growing.
    out.push('# HELP nodejs_heap_used_bytes V8 heap in use by the front process.', '# TYPE nodejs_heap_used_bytes gauge', `nodejs_heap_used_bytes ${process.memoryUsage().heapUsed}`);
    return `${out.join('\n')}\n`;
  }
}
