// npm run bench:workers — throughput of run.sh with workers=1 and workers=2, unpinned: closed-loop
// keep-alive clients sending 1 KB POSTs through the real front to the engine simulator, rounds
// interleaved (1,2,2,1,...) so a busy spell of the machine hits both. Reports requests/s, the
// front's CPU per request (primary and workers summed, from /proc; the primary's own share apart)
// and the ratio. FRONT_NODE_FLAGS starts the front as `node FLAGS dist/src/cli/front.js` instead of
// run.sh (which only builds and execs that), so the flags reach the primary and, through its
// execArgv, the workers: e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof/w{workers}' (Node 20 refuses
// --cpu-prof in NODE_OPTIONS). The measured window is then printed on the monotonic clock V8
// profiles use, for bench/cpu-profile-summary.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { setConfigItems } from '../src/config/index.js';
import { configPathOf, importInProcess, newRunDir } from '../test/fixtures/import-in-process.js';
import { buildInferBody } from '../test/fixtures/load.js';
import { buildPki, type Pki } from '../test/fixtures/pki.js';
import { projectRoot } from '../test/fixtures/project-root.js';

const CLIENTS = Number(process.env.CLIENTS ?? 8);
const DUR_S = Number(process.env.DUR ?? 20);
const WARM_S = Number(process.env.WARM ?? 3);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const TICKS_PER_S = 100; // USER_HZ on Linux
const FRONT_NODE_FLAGS = process.env.FRONT_NODE_FLAGS;
// About 1 KB on the wire: the infer JSON around 700 bytes of payload (base64 grows it by a third).
const BODY = buildInferBody(Buffer.alloc(700, 7));

function startEngine(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [join(projectRoot, 'dist/test/fixtures/engine-child.js'), '{}'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout?.setEncoding('utf8');
    child.stdout?.once('data', (line: string) => resolve({ child, url: (JSON.parse(line) as { url: string }).url }));
    child.once('exit', (code) => reject(new Error(`engine simulator exited (${String(code)})`)));
  });
}

/** CPU ticks (user + system, or system only: the kernel's share) of one process, from /proc. */
function ownTicks(pid: number, only?: 'system'): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (only === 'system' ? 0 : Number(fields[11])) + Number(fields[12]);
  } catch {
    return 0; // A process that just exited counts nothing.
  }
}

/** CPU ticks of a process and its children, from /proc. */
function treeTicks(pid: number, only?: 'system'): number {
  let ticks = ownTicks(pid, only);
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    for (const child of children === '' ? [] : children.split(' ')) ticks += treeTicks(Number(child), only);
  } catch {
    // A process that just exited counts nothing.
  }
  return ticks;
}

async function waitForPort(logFile: string, front: ChildProcess): Promise<number> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    for (const line of readFileSync(logFile, 'utf8').split('\n')) {
      if (!line.includes('"streamfront serving"')) continue;
      const tls = String((JSON.parse(line) as { tls: string }).tls);
      return Number(tls.slice(tls.lastIndexOf(':') + 1));
    }
    if (front.exitCode !== null || Date.now() > deadline)
      throw new Error(`front did not start:\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Closed loop: each client sends its next request once the last is answered; counts 200s. */
async function load(port: number, pki: Pki, seconds: number): Promise<{ ok: number; failed: number }> {
  const agent = new Agent({
    keepAlive: true,
    maxSockets: CLIENTS,
    ca: readFileSync(pki.ca.cert),
    cert: readFileSync(pki.clients.good.cert),
    key: readFileSync(pki.clients.good.key),
  });
  const until = performance.now() + seconds * 1000;
  const counts = { ok: 0, failed: 0 };
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/v2/models/m/infer',
          method: 'POST',
          agent,
          servername: 'localhost',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) },
        },
        (res) => {
          res.resume();
          res.once('end', () => {
            if (res.statusCode === 200) counts.ok++;
            else counts.failed++;
            resolve();
          });
        },
      );
      req.once('error', () => {
        counts.failed++;
        resolve();
      });
      req.end(BODY);
    });
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < until) await one();
    }),
  );
  agent.destroy();
  return counts;
}

interface Run {
  workers: number;
  reqPerS: number;
  cpuUsPerReq: number;
  /** The primary's own share (with workers=1 it is the whole front). */
  primaryUsPerReq: number;
  /** The kernel's share of the front's CPU (system time): syscalls, wake-ups, TCP. */
  systemShare: number;
  cpuCores: number;
  /** The load generator (this process) and the engine simulator, in cores: what the front competed with. */
  loadCores: number;
  engineCores: number;
  failed: number;
  load1: number;
}

async function measure(runDir: string, engine: { url: string; pid: number }, pki: Pki, workers: number): Promise<Run> {
  const engineUrl = engine.url;
  const configPath = configPathOf(runDir);
  const items = {
    workers: String(workers),
    server_port: '0',
    admin_port: '0',
    engine_url: engineUrl,
    access_log: process.env.ACCESS_LOG ?? 'on',
  };
  writeFileSync(configPath, setConfigItems(readFileSync(configPath, 'utf8'), items));
  const logFile = join(runDir, `front-${workers}.log`);
  const out = openSync(logFile, 'w');
  const front =
    FRONT_NODE_FLAGS === undefined
      ? spawn('bash', [join(projectRoot, 'run.sh')], { cwd: runDir, stdio: ['ignore', out, out] })
      : spawn(
          process.execPath,
          [
            ...FRONT_NODE_FLAGS.replaceAll('{workers}', String(workers)).split(' '),
            join(projectRoot, 'dist/src/cli/front.js'),
          ],
          { cwd: runDir, stdio: ['ignore', out, out] },
        );
  closeSync(out);
  try {
    const port = await waitForPort(logFile, front);
    await load(port, pki, WARM_S);
    const pid = front.pid as number;
    const ticks0 = treeTicks(pid);
    const primary0 = ownTicks(pid);
    const system0 = treeTicks(pid, 'system');
    const window0 = process.hrtime.bigint() / 1000n;
    const engine0 = treeTicks(engine.pid);
    const self0 = process.cpuUsage();
    const t0 = performance.now();
    const counts = await load(port, pki, DUR_S);
    const seconds = (performance.now() - t0) / 1000;
    const cpuSeconds = (treeTicks(pid) - ticks0) / TICKS_PER_S;
    const primarySeconds = (ownTicks(pid) - primary0) / TICKS_PER_S;
    const systemSeconds = (treeTicks(pid, 'system') - system0) / TICKS_PER_S;
    if (FRONT_NODE_FLAGS !== undefined)
      process.stdout.write(
        `workers=${workers}: front pid ${pid}, measured window ${window0}-${process.hrtime.bigint() / 1000n} µs, ${counts.ok} requests\n`,
      );
    const self = process.cpuUsage(self0);
    const engineSeconds = (treeTicks(engine.pid) - engine0) / TICKS_PER_S;
    return {
      workers,
      reqPerS: counts.ok / seconds,
      cpuUsPerReq: (cpuSeconds * 1e6) / Math.max(1, counts.ok),
      primaryUsPerReq: (primarySeconds * 1e6) / Math.max(1, counts.ok),
      systemShare: systemSeconds / Math.max(1e-9, cpuSeconds),
      cpuCores: cpuSeconds / seconds,
      loadCores: (self.user + self.system) / 1e6 / seconds,
      engineCores: engineSeconds / seconds,
      failed: counts.failed,
      load1: loadavg()[0] as number,
    };
  } finally {
    const exited = new Promise((r) => front.once('exit', r));
    front.kill('SIGTERM');
    await exited;
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1
    ? (s[(s.length - 1) / 2] as number)
    : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
}

const pki = await buildPki();
const engine = await startEngine();
const runDir = newRunDir('sf-bench-workers-');
try {
  await importInProcess(
    runDir,
    { ca: pki.ca.cert, serverCert: pki.server.cert, serverKey: pki.server.keyEncrypted, crl: pki.crls.good },
    pki.password,
  );
  const runs: Run[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const workers of round % 2 === 0 ? [1, 2] : [2, 1]) {
      const run = await measure(runDir, { url: engine.url, pid: engine.child.pid as number }, pki, workers);
      runs.push(run);
      process.stdout.write(
        `workers=${workers}: ${run.reqPerS.toFixed(0)} req/s, front CPU ${run.cpuUsPerReq.toFixed(0)} µs/req (primary ${run.primaryUsPerReq.toFixed(0)}, system ${(100 * run.systemShare).toFixed(0)}%; ${run.cpuCores.toFixed(2)} cores; load generator ${run.loadCores.toFixed(2)}, engine ${run.engineCores.toFixed(2)}), ${run.failed} failed, load1 ${run.load1.toFixed(1)}\n`,
      );
    }
  }
  const of = (w: number) => runs.filter((r) => r.workers === w);
  const one = median(of(1).map((r) => r.reqPerS));
  const two = median(of(2).map((r) => r.reqPerS));
  process.stdout.write(
    `median req/s: workers=1 ${one.toFixed(0)}, workers=2 ${two.toFixed(0)}, ratio ${(two / one).toFixed(2)} (${CLIENTS} clients, ${DUR_S} s, ${ROUNDS} rounds)\n`,
  );
} finally {
  engine.child.kill('SIGTERM');
  rmSync(runDir, { recursive: true, force: true });
}
