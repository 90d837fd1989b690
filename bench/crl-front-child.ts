// The serving side of bench/crl-scale.ts: the real front and reload loop (worker thread) on an
// imported run folder, with monitorEventLoopDelay on the serving thread. Driven over IPC.
import { createServer } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pino from 'pino';
import { loadConfigFile, readFrontConfig } from '../src/config/index.js';
import { loadMaterial } from '../src/material/load.js';
import { MaterialReloader } from '../src/reload/reloader.js';
import { WorkerLoader } from '../src/reload/worker-loader.js';
import { startFront } from '../src/server/front.js';
import { FrontMetrics } from '../src/server/metrics.js';

const [runDir, configPath] = process.argv.slice(2) as [string, string];
const engine = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.end('{"ok":true}'));
});
await new Promise<void>((r) => engine.listen(0, '127.0.0.1', r));
const enginePort = (engine.address() as { port: number }).port;
const config = {
  ...readFrontConfig((await loadConfigFile(configPath)).parsed),
  serverPort: 0,
  engineUrl: `http://127.0.0.1:${enginePort}`,
  accessLog: false,
};
const logger = pino({ level: 'silent' });
const metrics = new FrontMetrics({ serverName: 'bench' });
const front = await startFront({
  config,
  material: await loadMaterial({ config, runDir, env: process.env, now: new Date() }),
  logger,
  metrics,
});
const loader = new WorkerLoader({ configPath, runDir, env: process.env });
const apply = front.applyMaterial.bind(front);
// Every table that went live, held weakly: after the CRL shrinks and a GC runs, a large table
// still reachable here is one the front (or the reload path) kept a reference to.
const liveTables: Array<{ entries: number; bytes: number; ref: WeakRef<ArrayBuffer> }> = [];
front.applyMaterial = (next) => {
  apply(next);
  const table = next.crl?.revokedSerials;
  if (table !== undefined)
    liveTables.push({ entries: table.size, bytes: table.byteLength, ref: new WeakRef(table.buffer) });
  process.send?.({ event: 'applied', at: Date.now(), entries: next.crl?.revokedSerials.size ?? 0 });
};
const reloader = new MaterialReloader({
  config,
  configPath,
  runDir,
  front,
  load: (now) => loader.load(now),
  metrics,
  logger,
  settleMs: 1000,
});
const delay = monitorEventLoopDelay({ resolution: 5 });
delay.enable();
const gc = (globalThis as { gc?: () => void }).gc;

process.on('message', (msg: { cmd: string }) => {
  if (msg.cmd === 'reload') reloader.request('signal');
  if (msg.cmd === 'reset') delay.reset();
  if (msg.cmd === 'gc') gc?.();
  if (msg.cmd === 'stats')
    process.send?.({
      event: 'stats',
      rss: process.memoryUsage().rss,
      maxStallMs: delay.max / 1e6,
      entries: front.crlStatus.entries,
      tableBytes: front.crlStatus.entries === 0 ? 0 : (liveTables.at(-1)?.bytes ?? 0),
      // Tables other than the one serving now that are still reachable (0 once they are freed).
      oldTablesAlive: liveTables.slice(0, -1).filter((t) => t.ref.deref() !== undefined).length,
      oldTableEntriesAlive: liveTables
        .slice(0, -1)
        .filter((t) => t.ref.deref() !== undefined)
        .reduce((sum, t) => sum + t.entries, 0),
    });
  if (msg.cmd === 'exit') void front.shutdown(100).then(() => process.exit(0));
});
// The bench died (an exception, Ctrl-C): do not stay behind serving.
process.on('disconnect', () => process.exit(0));
process.send?.({ event: 'ready', port: front.port });
