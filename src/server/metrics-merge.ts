// One /metrics for a group of serving workers: the primary's own exposition (reload, material,
// engine, process) merged with each worker's, so a scrape sees the process group once.
// Counters and histograms are summed series by series (CPU and GC time included: the group's);
// gauges are the primary's, except the per-worker ones: open connections (one series per
// worker, labelled worker="N") and memory, descriptors and loop lag (the primary's series plus
// one per worker). Counters of a worker that exited stay in the sums (RetiredTotals), so a
// replacement starting from zero never makes a summed counter drop (Prometheus reads a reset).

/** Gauges whose value belongs to one worker: summing would hide an unbalanced group. */
const PER_WORKER_GAUGES: ReadonlySet<string> = new Set(['streamfront_open_connections']);
/**
 * Process gauges every process has: the primary's series stays as it is and each worker's is
 * added labelled worker="N", so sum() is the group and a worker's own memory or loop lag shows.
 */
const PROCESS_GAUGES: ReadonlySet<string> = new Set([
  'process_resident_memory_bytes',
  'process_virtual_memory_bytes',
  'process_heap_bytes',
  'process_open_fds',
  'nodejs_eventloop_lag_seconds',
  'nodejs_eventloop_lag_max_seconds',
  'nodejs_eventloop_lag_p99_seconds',
  'nodejs_heap_size_total_bytes',
  'nodejs_heap_size_used_bytes',
  'nodejs_external_memory_bytes',
]);

interface Family {
  readonly name: string;
  help: string;
  type: string;
  /** Series text (name and labels) to value, in first-seen order. */
  readonly samples: Map<string, number>;
}

export interface WorkerExposition {
  /** The worker's slot, 1..workers: a replacement takes its predecessor's number. */
  readonly id: number;
  readonly pid: number;
  /** Its FrontMetrics.render(), or undefined when it did not answer in time. */
  readonly text: string | undefined;
}

function parseValue(raw: string): number {
  if (raw === '+Inf') return Infinity;
  if (raw === '-Inf') return -Infinity;
  return Number(raw);
}

function formatValue(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}

/** Families in order; every sample belongs to the family of the # TYPE line before it (our renderer always writes one). */
export function parseExposition(text: string): Family[] {
  const families: Family[] = [];
  let current: Family | undefined;
  let help = '';
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('# HELP ')) {
      help = line.slice(7 + (line.slice(7).indexOf(' ') + 1));
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [name = '', type = 'untyped'] = line.slice(7).split(' ');
      current = { name, help, type, samples: new Map() };
      families.push(current);
      continue;
    }
    if (line.startsWith('#') || current === undefined) continue;
    const space = line.lastIndexOf(' ');
    current.samples.set(line.slice(0, space), parseValue(line.slice(space + 1)));
  }
  return families;
}

/** `name` -> `name{worker="1"}`, `name{a="b"}` -> `name{a="b",worker="1"}`. */
export function withWorkerLabel(series: string, id: number): string {
  const label = `worker="${id}"`;
  return series.endsWith('}') ? `${series.slice(0, -1)},${label}}` : `${series}{${label}}`;
}

function renderFamilies(families: Iterable<Family>, out: string[]): void {
  for (const f of families) {
    out.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
    for (const [series, value] of f.samples) out.push(`${series} ${formatValue(value)}`);
  }
}

function addInto(families: Map<string, Family>, f: Family): void {
  let target = families.get(f.name);
  if (target === undefined) {
    target = { name: f.name, help: f.help, type: f.type, samples: new Map() };
    families.set(f.name, target);
  }
  for (const [series, value] of f.samples) target.samples.set(series, (target.samples.get(series) ?? 0) + value);
}

/**
 * The counters and histograms of workers that exited, as of each one's last exposition the group
 * received: added to every later scrape so the summed series never drop when a worker is replaced.
 * What a worker counted after its last exposition is lost with it (the group never sees it).
 */
export class RetiredTotals {
  private readonly families = new Map<string, Family>();

  /** Adds the summable families of a retired worker's last exposition; its gauges died with it. */
  fold(text: string): void {
    for (const f of parseExposition(text)) if (f.type !== 'gauge') addInto(this.families, f);
  }

  addTo(families: Map<string, Family>): void {
    for (const f of this.families.values()) addInto(families, f);
  }
}

/** The group's exposition: the primary's families first, in their order, then any only workers have. */
export function mergeExpositions(
  primary: string,
  workers: readonly WorkerExposition[],
  restarts: number,
  retired?: RetiredTotals,
): string {
  const families = new Map<string, Family>();
  for (const f of parseExposition(primary)) families.set(f.name, f);
  const perWorkerSeen = new Set<string>();
  for (const worker of workers) {
    if (worker.text === undefined) continue;
    for (const f of parseExposition(worker.text)) {
      let target = families.get(f.name);
      if (f.type === 'gauge' && target !== undefined && PROCESS_GAUGES.has(f.name)) {
        for (const [series, value] of f.samples) target.samples.set(withWorkerLabel(series, worker.id), value);
        continue;
      }
      if (f.type === 'gauge') {
        const isPerWorker = PER_WORKER_GAUGES.has(f.name) || target === undefined;
        if (!isPerWorker) continue; // the primary's value (material, engine, info) speaks for the group
        if (target === undefined || !perWorkerSeen.has(f.name)) {
          // The primary serves no TLS: its own value of a per-worker gauge means nothing.
          target = { name: f.name, help: f.help, type: f.type, samples: new Map() };
          families.set(f.name, target);
          perWorkerSeen.add(f.name);
        }
        for (const [series, value] of f.samples) target.samples.set(withWorkerLabel(series, worker.id), value);
        continue;
      }
      addInto(families, f);
    }
  }
  retired?.addTo(families);
  const out: string[] = [];
  renderFamilies(families.values(), out);
  out.push(
    '# HELP streamfront_worker_info A serving worker of the group, by slot and process id (1 while it answers scrapes).',
    '# TYPE streamfront_worker_info gauge',
  );
  for (const w of workers)
    out.push(`streamfront_worker_info{worker="${w.id}",pid="${w.pid}"} ${w.text === undefined ? 0 : 1}`);
  out.push(
    '# HELP streamfront_worker_restarts_total Serving workers that exited unexpectedly and were replaced.',
    '# TYPE streamfront_worker_restarts_total counter',
    `streamfront_worker_restarts_total ${restarts}`,
  );
  return `${out.join('\n')}\n`;
}
