// npm run bench:crl — CRLs of 10,000 / 100,000 / 1,000,000 entries, generated at run time:
// import and --check (time, peak RSS), then in a serving front: time to go live, the serving
// thread's longest stall (monitorEventLoopDelay), a good client's p99 during the swap, RSS with
// the CRL and after it shrinks back to one entry. Figures go to stdout and bench/crl-scale.json.
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPki, writeLargeCrl, type Pki } from '../test/fixtures/pki.js';
import { newRunDir, configPathOf } from '../test/fixtures/import-in-process.js';
import { projectRoot } from '../test/fixtures/project-root.js';

const SIZES = (process.env.CRL_SIZES ?? '10000,100000,1000000').split(',').map(Number);
const MiB = 1024 * 1024;

function timeCommand(cmd: string, args: string[], cwd: string, input?: string): { seconds: number; maxRssMiB: number } {
  try {
    execFileSync('/usr/bin/time', ['-o', join(cwd, '.bench-time'), '-f', '%e %M', cmd, ...args], {
      cwd,
      input,
      stdio: ['pipe', 'ignore', 'pipe'],
    });
  } catch (err) {
    throw new Error(
      `${cmd} ${args.join(' ')} failed: ${String((err as { stderr?: Buffer }).stderr ?? err).slice(-1500)}`,
    );
  }
  const [seconds, kb] = readFileSync(join(cwd, '.bench-time'), 'utf8').trim().split('\n').at(-1)!.split(' ');
  return { seconds: Number(seconds), maxRssMiB: Math.round(Number(kb) / 1024) };
}

function importInto(runDir: string, pki: Pki, crl: string): { seconds: number; maxRssMiB: number } {
  return timeCommand(
    'bash',
    [
      join(projectRoot, 'certImport.sh'),
      '-c',
      pki.ca.cert,
      '-s',
      pki.server.cert,
      '-k',
      pki.server.keyEncrypted,
      '-r',
      crl,
      '--password-stdin',
    ],
    runDir,
    `${pki.password}\n`,
  );
}

interface Child {
  proc: ChildProcess;
  port: number;
  next(event: string): Promise<Record<string, number>>;
}

async function startChild(runDir: string): Promise<Child> {
  const proc = fork(join(projectRoot, 'dist', 'bench', 'crl-front-child.js'), [runDir, configPathOf(runDir)], {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting = new Map<string, (m: Record<string, number>) => void>();
  proc.on('message', (m: Record<string, number> & { event: string }) => {
    waiting.get(m.event)?.(m);
    waiting.delete(m.event);
  });
  const next = (event: string): Promise<Record<string, number>> => new Promise((r) => waiting.set(event, r));
  const ready = await next('ready');
  return { proc, port: ready.port as number, next };
}

/** A good client on one keep-alive connection, sending requests back to back; latencies in ms. */
function startGoodClient(port: number, pki: Pki): { latencies: Array<[number, number]>; stop(): void } {
  const agent = new Agent({
    keepAlive: true,
    maxSockets: 1,
    ca: readFileSync(pki.ca.cert),
    cert: readFileSync(pki.clients.good.cert),
    key: readFileSync(pki.clients.good.key),
  });
  const latencies: Array<[number, number]> = [];
  let isStopped = false;
  const once = (): void => {
    if (isStopped) return;
    const t = performance.now();
    const req = request(
      { host: '127.0.0.1', port, path: '/v2/streams', method: 'GET', agent, servername: 'localhost' },
      (res) => {
        res.resume();
        res.on('end', () => {
          latencies.push([Date.now(), performance.now() - t]);
          setImmediate(once);
        });
      },
    );
    req.on('error', () => setTimeout(once, 10));
    req.end();
  };
  once();
  return {
    latencies,
    stop: () => {
      isStopped = true;
      agent.destroy();
    },
  };
}

function p99(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.99))] ?? NaN;
}

const results: Record<string, unknown>[] = [];
const pki = await buildPki();
const work = mkdtempSync(join(tmpdir(), 'sf-bench-crl-'));
try {
  const runDir = newRunDir('sf-bench-run-');
  importInto(runDir, pki, pki.crls.good);
  const child = await startChild(runDir);
  const client = startGoodClient(child.port, pki);
  await new Promise((r) => setTimeout(r, 1000));
  // One reload of a (different) 1-entry CRL first, so the baseline includes the reload worker's
  // isolate, as every figure after it does.
  const small = await writeLargeCrl(pki, 1, join(work, 'crl-1.crl'));
  copyFileSync(small.path, join(runDir, 'keys', '.ca.crl.new'));
  renameSync(join(runDir, 'keys', '.ca.crl.new'), join(runDir, 'keys', 'ca.crl'));
  child.proc.send({ cmd: 'reload' });
  await child.next('applied');
  await new Promise((r) => setTimeout(r, 1000));
  child.proc.send({ cmd: 'gc' });
  child.proc.send({ cmd: 'stats' });
  const baseline = await child.next('stats');
  console.log(
    `load average at start: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(`serving with a 1-entry CRL: RSS ${(baseline.rss! / MiB).toFixed(0)} MiB`);
  for (const n of SIZES) {
    const t0 = performance.now();
    const { path } = await writeLargeCrl(pki, n, join(work, `crl-${n}.crl`));
    const genS = (performance.now() - t0) / 1000;
    const importRun = newRunDir('sf-bench-import-');
    const imported = importInto(importRun, pki, path);
    const checked = timeCommand('bash', [join(projectRoot, 'run.sh'), '--check'], importRun);
    rmSync(importRun, { recursive: true, force: true });

    // The file lands by rename-over, then the reload is asked for (what the watcher does ~100 ms later).
    copyFileSync(path, join(runDir, 'keys', '.ca.crl.new'));
    child.proc.send({ cmd: 'reset' });
    const landed = Date.now();
    renameSync(join(runDir, 'keys', '.ca.crl.new'), join(runDir, 'keys', 'ca.crl'));
    child.proc.send({ cmd: 'reload' });
    const applied = await child.next('applied');
    await new Promise((r) => setTimeout(r, 300));
    child.proc.send({ cmd: 'stats' });
    const stats = await child.next('stats');
    const during = client.latencies.filter(([at]) => at >= landed && at <= applied.at! + 300).map(([, ms]) => ms);
    const row = {
      entries: n,
      fileMB: +(statSync(path).size / 1e6).toFixed(1),
      generateS: +genS.toFixed(1),
      importS: imported.seconds,
      importMaxRssMiB: imported.maxRssMiB,
      checkS: checked.seconds,
      checkMaxRssMiB: checked.maxRssMiB,
      goLiveS: +((applied.at! - landed) / 1000).toFixed(2),
      maxStallMs: +stats.maxStallMs!.toFixed(1),
      goodClientP99Ms: +p99(during).toFixed(1),
      goodClientRequests: during.length,
      rssMiB: Math.round(stats.rss! / MiB),
      tableMiB: +(stats.tableBytes! / MiB).toFixed(1),
      // The target: serving with the table costs at most twice the table's bytes over the
      // 1-entry baseline.
      rssAboveBaselineMiB: Math.round((stats.rss! - baseline.rss!) / MiB),
    };
    results.push(row);
    console.log(JSON.stringify(row));
  }
  // Back to one entry: the old table must be freed, not kept alive by a reference.
  copyFileSync(pki.crls.good, join(runDir, 'keys', '.ca.crl.new'));
  renameSync(join(runDir, 'keys', '.ca.crl.new'), join(runDir, 'keys', 'ca.crl'));
  child.proc.send({ cmd: 'reload' });
  await child.next('applied');
  await new Promise((r) => setTimeout(r, 3000));
  child.proc.send({ cmd: 'stats' });
  const shrunk = await child.next('stats');
  child.proc.send({ cmd: 'gc' });
  await new Promise((r) => setTimeout(r, 200)); // WeakRefs clear after the GC's task ends
  child.proc.send({ cmd: 'gc' });
  child.proc.send({ cmd: 'stats' });
  const shrunkGc = await child.next('stats');
  const after = {
    baselineRssMiB: Math.round(baseline.rss! / MiB),
    afterShrinkRssMiB: Math.round(shrunk.rss! / MiB),
    afterShrinkAndGcRssMiB: Math.round(shrunkGc.rss! / MiB),
    // Held weakly by the child: any old table still alive after a forced GC is a leak.
    oldTablesAliveAfterGc: shrunkGc.oldTablesAlive,
    oldTableEntriesAliveAfterGc: shrunkGc.oldTableEntriesAlive,
  };
  results.push(after);
  console.log(JSON.stringify(after));
  client.stop();
  child.proc.send({ cmd: 'exit' });
  rmSync(runDir, { recursive: true, force: true });
} finally {
  rmSync(work, { recursive: true, force: true });
}
const out = join(projectRoot, 'bench', 'crl-scale.json');
writeFileSync(out, `${JSON.stringify({ at: new Date().toISOString(), loadAverage: loadavg(), results }, null, 2)}\n`);
console.log(`figures written to ${out}`);
process.exit(0);
