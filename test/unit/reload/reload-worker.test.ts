import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { loadConfigFile, readFrontConfig, type FrontConfig } from '../../../src/config/index.js';
import { isStreamfrontError } from '../../../src/errors/error.js';
import { loadMaterial, type TlsMaterial } from '../../../src/material/load.js';
import { MaterialReloader } from '../../../src/reload/reloader.js';
import { WorkerLoader } from '../../../src/reload/worker-loader.js';
import { startFront } from '../../../src/server/front.js';
import { FrontMetrics } from '../../../src/server/metrics.js';
import { buildCrl, buildPki, writeLargeCrl, type Pki } from '../../fixtures/pki.js';
import { configPathOf, importInProcess, newRunDir } from '../../fixtures/import-in-process.js';
import { waitUntil } from '../../fixtures/wait.js';

async function importedRunDir(pki: Pki): Promise<{ runDir: string; configPath: string }> {
  const runDir = newRunDir('sf-reload-');
  await importInProcess(
    runDir,
    { ca: pki.ca.cert, serverCert: pki.server.cert, serverKey: pki.server.keyEncrypted, crl: pki.crls.good },
    pki.password,
  );
  return { runDir, configPath: configPathOf(runDir) };
}

/** Replaces a keys/ file the way operators do it: delete, then copy in under the same name. */
function replaceKeysFile(runDir: string, name: string, from: string): void {
  const target = join(runDir, 'keys', name);
  rmSync(target, { force: true });
  copyFileSync(from, target);
}

/** The longest gap between ticks of a 1 ms interval while `work` runs: the event-loop stall. */
async function longestStallMs(work: () => Promise<void>): Promise<number> {
  let last = performance.now();
  let longest = 0;
  let onTick: (() => void) | undefined;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
    onTick?.();
  }, 1);
  try {
    await work();
    // One more tick after the work: a stall at its very end is measured too.
    await new Promise<void>((r) => {
      onTick = r;
    });
  } finally {
    clearInterval(timer);
  }
  return longest;
}

/** What a reload test drives the loop with: a logger whose lines it reads, metrics, the set loaded now. */
interface ReloadSetup {
  readonly lines: Array<Record<string, unknown>>;
  readonly logger: pino.Logger;
  readonly metrics: FrontMetrics;
  readonly initial: TlsMaterial;
}

describe('reload through the worker thread', () => {
  let pki: Pki;
  let runDir: string;
  let configPath: string;
  let config: FrontConfig;
  let loader: WorkerLoader;

  async function reloadSetup(): Promise<ReloadSetup> {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino(
      { level: 'info' },
      { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) },
    );
    const metrics = new FrontMetrics({ serverName: 'test' });
    const initial = await loadMaterial({ config, runDir, env: {}, now: new Date() });
    return { lines, logger, metrics, initial };
  }

  before(async () => {
    pki = await buildPki();
    ({ runDir, configPath } = await importedRunDir(pki));
    config = readFrontConfig((await loadConfigFile(configPath)).parsed);
    loader = new WorkerLoader({ configPath, runDir, env: {} });
  });
  after(async () => {
    await loader.close();
    rmSync(runDir, { recursive: true, force: true });
  });

  it('start() runs the worker thread before any load, and starts nothing once closed', async () => {
    // Linux counts a process's threads in /proc: the worker is one of them.
    const threads = (): number => Number(/^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]);
    const early = new WorkerLoader({ configPath, runDir, env: {} });
    const before = threads();
    early.start();
    early.start(); // one thread, however often it is asked
    await waitUntil('the worker thread running', () => threads() > before);
    const running = threads();
    const { material } = await early.load();
    assert.equal(threads(), running, 'the first load started no thread of its own');
    assert.equal(material.serverCert.serial, pki.server.serial);
    await early.close();
    early.start();
    await assert.rejects(early.load(), /the reload worker is closed/);
  });

  it('loads the same material as the loader on the main thread', async () => {
    const onMain = await loadMaterial({ config, runDir, env: {}, now: new Date() });
    const { material, config: loadedConfig } = await loader.load();
    assert.equal(material.serverCert.serial, onMain.serverCert.serial);
    assert.equal(material.keyPem, onMain.keyPem);
    assert.deepEqual(material.fingerprints, onMain.fingerprints);
    assert.deepEqual([...(material.crl?.revokedSerials ?? [])].sort(), [...(onMain.crl?.revokedSerials ?? [])].sort());
    assert.equal(loadedConfig.serverKeyMm, config.serverKeyMm);
  });

  it("refuses a CRL of another CA with the loader's code and the file as the config names it", async () => {
    replaceKeysFile(runDir, 'ca.crl', pki.crls.otherCa);
    try {
      await assert.rejects(loader.load(), (err: unknown) => {
        assert.ok(isStreamfrontError(err));
        assert.match(err.code, /^PKI_CRL_/);
        assert.equal(err.file, 'keys/ca.crl');
        return true;
      });
    } finally {
      replaceKeysFile(runDir, 'ca.crl', pki.crls.good);
    }
  });

  it('keeps the event loop moving (< 50 ms stall) while a 100,000-entry CRL is loaded and committed', async (t) => {
    const logger = pino({ level: 'silent' });
    const metrics = new FrontMetrics({ serverName: 'test' });
    const initial = await loadMaterial({ config, runDir, env: {}, now: new Date() });
    const front = await startFront({ config: { ...config, serverPort: 0 }, material: initial, logger, metrics });
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
    try {
      await loader.load(); // the worker is warm, as it is after the first reload
      // Three loads of different 100,000-entry CRLs; the best of three is the figure, so that the
      // scheduler of a busy 2-core machine is not billed to the front, while a stall the code
      // itself causes shows up in every run.
      const stalls: number[] = [];
      for (let i = 0; i < 3; i++) {
        const large = await writeLargeCrl(pki, 100_000);
        replaceKeysFile(runDir, 'ca.crl', large.path);
        stalls.push(
          await longestStallMs(async () => {
            reloader.request('signal');
            await reloader.idle();
          }),
        );
        assert.equal(
          front.material.crl?.revokedSerials.has(large.serials[99_999] as string),
          true,
          'the large CRL is live',
        );
      }
      const stall = Math.min(...stalls);
      t.diagnostic(
        `longest event-loop stall while loading and committing a 100,000-entry CRL: ${stalls.map((s) => s.toFixed(1)).join(', ')} ms (best ${stall.toFixed(1)})`,
      );
      assert.equal(front.material.crl?.revokedSerials.size, 100_000);
      assert.equal(reloader.status().isStale, false);
      assert.ok(stall < 50, `event loop stalled ${stall.toFixed(1)} ms`);
    } finally {
      reloader.close();
      await front.shutdown(100);
      replaceKeysFile(runDir, 'ca.crl', pki.crls.good);
    }
  });

  it('reports a refused replacement once, keeps the last good set and clears the stale mark when a good file lands', async () => {
    const { lines, logger, metrics, initial } = await reloadSetup();
    const front = await startFront({
      config: { ...config, serverPort: 0, accessLog: false },
      material: initial,
      logger,
      metrics,
    });
    const reloader = new MaterialReloader({
      config,
      configPath,
      runDir,
      front,
      load: (now) => loader.load(now),
      metrics,
      logger,
      settleMs: 50,
    });
    try {
      const expired = await buildCrl(pki, {
        revoke: [],
        thisUpdate: new Date(Date.now() - 3 * 86_400_000),
        nextUpdate: new Date(Date.now() - 86_400_000),
      });
      replaceKeysFile(runDir, 'ca.crl', expired);
      reloader.request('change');
      await reloader.idle();
      assert.equal(reloader.status().isStale, false, 'a failure right after a change waits for the files to settle');
      // The settle retry (settleMs 50) reports it: wait for that line, not for the clock.
      await waitUntil('the refusal after the files settled', () => lines.some((l) => l.event === 'reload_refused'));
      await reloader.idle();
      reloader.request('signal');
      await reloader.idle();
      const status = reloader.status();
      assert.equal(status.isStale, true);
      assert.equal(status.lastFailure?.material, 'crl');
      assert.equal(status.lastFailure?.code, 'PKI_CRL_EXPIRED');
      assert.equal(front.material, initial, 'the last good set still serves');
      const refusals = lines.filter((l) => l.event === 'reload_refused');
      assert.equal(refusals.length, 1, 'one log line for one broken file, however often it is looked at');
      assert.equal(refusals[0]?.file, 'keys/ca.crl');
      assert.match(metrics.render(), /streamfront_reload_failures_total\{material="crl",reason="PKI_CRL_EXPIRED"\} 1/);
      assert.match(metrics.render(), /streamfront_material_stale 1/);

      const fresh = await buildCrl(pki, { revoke: [pki.clients.revoked.cert, pki.clients.good.cert] });
      replaceKeysFile(runDir, 'ca.crl', fresh);
      reloader.request('change');
      await reloader.idle();
      assert.equal(reloader.status().isStale, false);
      assert.equal(front.material.crl?.revokedSerials.has(pki.clients.good.serial), true, 'the new CRL is live');
      assert.match(metrics.render(), /streamfront_material_stale 0/);
    } finally {
      reloader.close();
      await front.shutdown(100);
      replaceKeysFile(runDir, 'ca.crl', pki.crls.good);
    }
  });

  it('tells the operator which changed config items need a restart', async () => {
    const { lines, logger, metrics, initial } = await reloadSetup();
    const fakeFront = { material: initial, applyMaterial: () => assert.fail('nothing changed in the material') };
    const reloader = new MaterialReloader({
      config: { ...config, engineTimeoutMs: config.engineTimeoutMs + 1 },
      configPath,
      runDir,
      front: fakeFront,
      load: (now) => loader.load(now),
      metrics,
      logger,
      settleMs: 50,
    });
    reloader.request('signal');
    await reloader.idle();
    reloader.close();
    const notice = lines.find((l) => l.event === 'restart_needed');
    assert.deepEqual(notice?.items, ['engine_timeout_ms']);
  });
});
