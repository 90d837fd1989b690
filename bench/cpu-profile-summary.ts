// Where a front's CPU went: reads V8 .cpuprofile files (node --cpu-prof), keeps the samples
// inside a window on the monotonic clock (the one bench/workers-scale.ts prints), and prints
// the busy time by area and the functions with the most self time, per request when told how
// many. Usage: node dist/bench/cpu-profile-summary.js [--from µs --to µs] [--requests N] files...
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Areas by the script a function lives in; the first match wins. */
const AREAS: ReadonlyArray<readonly [string, RegExp]> = [
  ['ipc + cluster', /^node:(internal\/child_process|internal\/cluster|child_process|cluster|internal\/v8_serdes|v8)/],
  ['tls', /^node:(_tls|tls|internal\/tls)/],
  ['http (node)', /^node:(_http|http|internal\/http)/],
  ['net + streams', /^node:(net|internal\/streams|stream|internal\/stream_base_commons|internal\/net)/],
  ['fastify', /node_modules\/(fastify|@fastify|find-my-way|avvio|light-my-request|fast-json-stringify)/],
  ['undici', /node_modules\/undici/],
  ['pino', /node_modules\/(pino|sonic-boom|thread-stream)/],
  ['streamfront metrics', /dist\/src\/server\/(metrics|process-metrics)/],
  ['streamfront worker + relay', /dist\/src\/server\/(serving-worker|worker-group)/],
  ['streamfront', /dist\/src\//],
  ['other node internals', /^node:/],
];

function areaOf(node: ProfileNode): string {
  const { functionName, url } = node.callFrame;
  if (url === '') return functionName.startsWith('(') ? functionName : 'native';
  for (const [area, pattern] of AREAS) if (pattern.test(url)) return area;
  return 'other';
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { from: { type: 'string' }, to: { type: 'string' }, requests: { type: 'string' }, top: { type: 'string' } },
});
const from = values.from === undefined ? -Infinity : Number(values.from);
const to = values.to === undefined ? Infinity : Number(values.to);
const requests = values.requests === undefined ? undefined : Number(values.requests);
const byArea = new Map<string, number>();
const byFunction = new Map<string, number>();
let busyUs = 0;
let idleUs = 0;
for (const file of positionals) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  let at = profile.startTime;
  let fileBusy = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (at < from || at > to) continue;
    const node = nodes.get(profile.samples[i] as number);
    if (node === undefined) continue;
    const area = areaOf(node);
    if (area === '(idle)') {
      idleUs += delta;
      continue;
    }
    fileBusy += delta;
    byArea.set(area, (byArea.get(area) ?? 0) + delta);
    const { functionName, url, lineNumber } = node.callFrame;
    const key = `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^.*dist\//, '')}:${lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + delta);
  }
  busyUs += fileBusy;
  process.stdout.write(`${basename(file)}: ${(fileBusy / 1000).toFixed(0)} ms busy in the window\n`);
}
const per = (us: number): string =>
  requests === undefined ? `${(us / 1000).toFixed(0)} ms` : `${(us / requests).toFixed(1)} µs/req`;
process.stdout.write(`busy ${per(busyUs)} (idle ${(idleUs / 1000).toFixed(0)} ms)\n`);
for (const [area, us] of [...byArea].sort((a, b) => b[1] - a[1]))
  process.stdout.write(`  ${area.padEnd(28)} ${per(us).padStart(14)} ${((100 * us) / busyUs).toFixed(1)}%\n`);
process.stdout.write('top self time:\n');
for (const [name, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top ?? 15)))
  process.stdout.write(`  ${per(us).padStart(14)} ${((100 * us) / busyUs).toFixed(1)}%  ${name}\n`);
