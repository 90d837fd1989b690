// README's way 2 (move the old files away, then import): while a file the config names is
// missing, the front waits for a consistent set (info, /readyz says what is missing) instead of
// counting a failure; only a set still incomplete after 30 s is reported. Timers and the clock
// are faked, the files and the loader (worker thread) are real.
import assert from 'node:assert/strict';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it, mock } from 'node:test';
import { loadConfigFile, readFrontConfig, type FrontConfig } from '../../../src/config/index.js';
import { loadMaterial, type TlsMaterial } from '../../../src/material/load.js';
import type { LoadedSet } from '../../../src/reload/load-request.js';
import { MaterialReloader } from '../../../src/reload/reloader.js';
import { WorkerLoader } from '../../../src/reload/worker-loader.js';
import { FrontMetrics } from '../../../src/server/metrics.js';
import { configPathOf, importInProcess, newRunDir } from '../../fixtures/import-in-process.js';
import { buildPki, type Pki } from '../../fixtures/pki.js';

const KEY_FILES = ['ca.crt', 'server.crt', 'server.key', 'ca.crl'];
const MISSING_FILE = /^keys\/(ca\.crt|server\.crt|server\.key|ca\.crl)$/;

describe('a rotation with files missing for a while', () => {
  let pki: Pki;
  let runDir: string;
  let configPath: string;
  let config: FrontConfig;
  let initial: TlsMaterial;
  let loader: WorkerLoader;
  let lines: Array<Record<string, unknown>>;
  let metrics: FrontMetrics;
  let reloader: MaterialReloader;
  let lastLoad: Promise<unknown>;

  before(async () => {
    pki = await buildPki();
    runDir = newRunDir('sf-incomplete-');
    configPath = configPathOf(runDir);
    await importInProcess(
      runDir,
      { ca: pki.ca.cert, serverCert: pki.server.cert, serverKey: pki.server.keyEncrypted, crl: pki.crls.good },
      pki.password,
    );
    config = readFrontConfig((await loadConfigFile(configPath)).parsed);
    initial = await loadMaterial({ config, runDir, env: {}, now: new Date() });
    loader = new WorkerLoader({ configPath, runDir, env: {} });
    mkdirSync(join(runDir, 'old-keys'));
  });
  after(async () => {
    await loader.close();
    rmSync(runDir, { recursive: true, force: true });
  });
  beforeEach(() => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: Date.now() });
    lines = [];
    metrics = new FrontMetrics({ serverName: 'test' });
    const log = (level: string) => (o: object, msg: string) => lines.push({ level, ...o, msg });
    const front = { material: initial, applyMaterial: () => undefined };
    reloader = new MaterialReloader({
      config,
      configPath,
      runDir,
      front,
      metrics,
      logger: { info: log('info'), warn: log('warn'), error: log('error') },
      settleMs: 2_000,
      load: (now): Promise<LoadedSet> => {
        const p = loader.load(now);
        lastLoad = p.catch(() => undefined);
        return p;
      },
    });
  });
  afterEach(() => {
    reloader.close();
    mock.timers.reset();
    for (const name of KEY_FILES) {
      try {
        renameSync(join(runDir, 'old-keys', name), join(runDir, 'keys', name));
      } catch {
        // already back
      }
    }
  });

  /** Runs what a file event runs, and waits for the load it starts (the real worker) to be judged. */
  async function fileEvent(): Promise<void> {
    reloader.request('change');
    await settle();
  }
  async function settle(): Promise<void> {
    await lastLoad;
    for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
  }
  function moveOldFilesAway(): void {
    for (const name of KEY_FILES) renameSync(join(runDir, 'keys', name), join(runDir, 'old-keys', name));
  }
  function putFilesBack(): void {
    for (const name of KEY_FILES) renameSync(join(runDir, 'old-keys', name), join(runDir, 'keys', name));
  }
  const failuresCounted = (): string =>
    /streamfront_reload_failures_total\{[^}]*\} (\d+)/.exec(metrics.render())?.[1] ?? '0';

  it('files missing for 10 s (an import that takes long): no failure counted, no error, /readyz status names the missing file', async () => {
    moveOldFilesAway();
    await fileEvent();
    mock.timers.tick(2_100); // past the old 2 s settle wait
    await settle();
    mock.timers.tick(8_000);
    await settle();
    assert.equal(failuresCounted(), '0', 'a rotation in progress is not a failure');
    assert.deepEqual(
      lines.filter((l) => l.level === 'error'),
      [],
    );
    const waiting = lines.filter((l) => l.event === 'reload_waiting');
    assert.equal(waiting.length, 1, 'one line while it waits');
    assert.equal(waiting[0]?.level, 'info');
    const status = reloader.status();
    assert.equal(status.isStale, false);
    assert.equal(status.pending?.code, 'MATERIAL_FILE_MISSING');
    // The four files are read at once; whichever read fails first is the one named.
    assert.match(String(status.pending?.file), MISSING_FILE, 'says what is missing');

    putFilesBack(); // the import lands
    await fileEvent();
    assert.equal(reloader.status().pending, undefined);
    assert.equal(failuresCounted(), '0');
    assert.match(metrics.render(), /streamfront_material_stale 0/);
  });

  it('files still missing after 30 s: reported once as a failure (error, counted, stale)', async () => {
    moveOldFilesAway();
    await fileEvent();
    mock.timers.tick(29_000);
    await settle();
    assert.equal(failuresCounted(), '0', 'not yet at 29 s');
    mock.timers.tick(1_000);
    await settle();
    assert.equal(failuresCounted(), '1', 'at 30 s it is a real problem');
    const refused = lines.filter((l) => l.event === 'reload_refused');
    assert.equal(refused.length, 1);
    assert.equal(refused[0]?.level, 'error');
    assert.equal(refused[0]?.code, 'MATERIAL_FILE_MISSING');
    assert.equal(reloader.status().isStale, true);
    assert.match(String(reloader.status().lastFailure?.file), MISSING_FILE);
  });
});
