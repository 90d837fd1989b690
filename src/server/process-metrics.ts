// The process and runtime series every Node service exports (the names prom-client's default
// collectors use, so existing dashboards and alerts work): CPU, memory, descriptors, start
// time, event-loop delay, GC and heap. Read at scrape time; GC and loop delay are sampled by
// Node itself (a PerformanceObserver and an interval histogram), nothing runs per request.
import { readFileSync, readdirSync } from 'node:fs';
import {
  PerformanceObserver,
  monitorEventLoopDelay,
  performance,
  type IntervalHistogram,
  type PerformanceEntry,
} from 'node:perf_hooks';

const GC_BUCKETS = [0.001, 0.01, 0.1, 1, 2, 5] as const;
/** Node's perf_hooks GC kinds, by the constant's value. */
const GC_KIND: Readonly<Record<number, string>> = { 1: 'minor', 2: 'major', 4: 'incremental', 8: 'weakcb' };

function fmt(n: number): string {
  return Number.isFinite(n) ? String(n) : n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN';
}

/** The soft limit of open files, from /proc (Linux); undefined elsewhere. */
function readMaxFds(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft === undefined || soft === 'unlimited' ? undefined : Number(soft);
  } catch {
    return undefined;
  }
}

function countOpenFds(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}

function readVirtualMemory(): number | undefined {
  try {
    const m = /^VmSize:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m === null ? undefined : Number(m[1]) * 1024;
  } catch {
    return undefined;
  }
}

class GcHistogram {
  private readonly counts = new Map<string, { buckets: number[]; sum: number; count: number }>();
  observe(kind: string, seconds: number): void {
    let h = this.counts.get(kind);
    if (h === undefined) {
      h = { buckets: new Array<number>(GC_BUCKETS.length).fill(0), sum: 0, count: 0 };
      this.counts.set(kind, h);
    }
    h.sum += seconds;
    h.count++;
    const i = GC_BUCKETS.findIndex((le) => seconds <= le);
    if (i !== -1) h.buckets[i] = (h.buckets[i] as number) + 1;
  }
  render(out: string[]): void {
    const name = 'nodejs_gc_duration_seconds';
    out.push(`# HELP ${name} Garbage collection pauses, by kind.`, `# TYPE ${name} histogram`);
    for (const [kind, h] of this.counts) {
      let cumulative = 0;
      GC_BUCKETS.forEach((le, i) => {
        cumulative += h.buckets[i] as number;
        out.push(`${name}_bucket{le="${le}",kind="${kind}"} ${cumulative}`);
      });
      out.push(
        `${name}_bucket{le="+Inf",kind="${kind}"} ${h.count}`,
        `${name}_sum{kind="${kind}"} ${fmt(h.sum)}`,
        `${name}_count{kind="${kind}"} ${h.count}`,
      );
    }
  }
}

export class ProcessMetrics {
  private readonly startTimeSeconds = Math.round((performance.timeOrigin / 1000) * 1000) / 1000;
  private readonly maxFds = readMaxFds();
  private readonly loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  private readonly gc = new GcHistogram();
  private readonly gcObserver: PerformanceObserver;

  constructor() {
    this.loopDelay.enable();
    this.gcObserver = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const kind = GC_KIND[(entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? 0] ?? 'other';
        this.gc.observe(kind, entry.duration / 1000);
      }
    });
    this.gcObserver.observe({ entryTypes: ['gc'] });
  }

  stop(): void {
    this.loopDelay.disable();
    this.gcObserver.disconnect();
  }

  render(out: string[]): void {
    const gauge = (name: string, help: string, value: number | undefined, type = 'gauge'): void => {
      if (value === undefined) return;
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${fmt(value)}`);
    };
    const cpu = process.cpuUsage();
    const user = cpu.user / 1e6;
    const system = cpu.system / 1e6;
    gauge('process_cpu_user_seconds_total', 'User CPU time spent in seconds.', user, 'counter');
    gauge('process_cpu_system_seconds_total', 'System CPU time spent in seconds.', system, 'counter');
    gauge('process_cpu_seconds_total', 'Total user and system CPU time spent in seconds.', user + system, 'counter');
    gauge(
      'process_start_time_seconds',
      'Start time of the process since unix epoch in seconds.',
      this.startTimeSeconds,
    );
    const mem = process.memoryUsage();
    gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', mem.rss);
    gauge('process_virtual_memory_bytes', 'Virtual memory size in bytes.', readVirtualMemory());
    gauge('process_heap_bytes', 'Process heap size in bytes.', mem.heapTotal);
    gauge('process_open_fds', 'Number of open file descriptors.', countOpenFds());
    gauge('process_max_fds', 'Maximum number of open file descriptors.', this.maxFds);
    const d = this.loopDelay;
    // The histogram holds nanoseconds since the last reset; reset per scrape so each shows the last interval.
    const lag = (ns: number): number => (Number.isFinite(ns) && d.count > 0 ? ns / 1e9 : 0);
    gauge('nodejs_eventloop_lag_seconds', 'Mean event loop delay since the last scrape, in seconds.', lag(d.mean));
    gauge(
      'nodejs_eventloop_lag_max_seconds',
      'Largest event loop delay since the last scrape, in seconds.',
      lag(d.max),
    );
    gauge(
      'nodejs_eventloop_lag_p99_seconds',
      '99th percentile of the event loop delay since the last scrape, in seconds.',
      lag(d.percentile(99)),
    );
    d.reset();
    gauge('nodejs_heap_size_total_bytes', 'V8 heap size in bytes.', mem.heapTotal);
    gauge('nodejs_heap_size_used_bytes', 'V8 heap used in bytes.', mem.heapUsed);
    gauge('nodejs_external_memory_bytes', 'Memory of C++ objects bound to JavaScript objects, in bytes.', mem.external);
    this.gc.render(out);
    const [major, minor, patch] = process.versions.node.split('.');
    out.push(
      '# HELP nodejs_version_info Node.js version.',
      '# TYPE nodejs_version_info gauge',
      `nodejs_version_info{version="${process.version}",major="${major}",minor="${minor}",patch="${patch}"} 1`,
    );
  }
}
