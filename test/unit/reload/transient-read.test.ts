// A reload that fails for a passing reason (out of file descriptors) is retried by itself until
// the new material goes live, without SIGHUP and without being reported as a config problem.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it, mock } from 'node:test';
import { StreamfrontError } from '../../../src/errors/error.js';
import type { TlsMaterial } from '../../../src/material/load.js';
import { MaterialReloader } from '../../../src/reload/reloader.js';
import type { LoadedSet } from '../../../src/reload/load-request.js';
import { configPathOf, importInProcess, newRunDir } from '../../fixtures/import-in-process.js';
import { buildCrl, buildPki, type Pki } from '../../fixtures/pki.js';

const CHILD = fileURLToPath(new URL('./emfile-child.js', import.meta.url));

interface ChildRecord {
  readonly event?: string;
  readonly level?: string;
  readonly [k: string]: unknown;
}

/** Runs the child under a descriptor limit of 64 (soft and hard, so node cannot raise it) and collects its records. */
function runStarvedChild(runDir: string, stagedCrl: string): Promise<ChildRecord[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', 'ulimit -n 64 && exec "$0" "$@"', process.execPath, CHILD, runDir, stagedCrl], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`child exited ${String(code)}: ${err}\n${out}`));
      else
        resolve(
          out
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l) as ChildRecord),
        );
    });
  });
}

describe('reload after a transient read failure', () => {
  let pki: Pki;
  let runDir: string;
  before(async () => {
    pki = await buildPki();
    runDir = newRunDir('sf-emfile-');
    await importInProcess(
      runDir,
      { ca: pki.ca.cert, serverCert: pki.server.cert, serverKey: pki.server.keyEncrypted, crl: pki.crls.good },
      pki.password,
    );
  });
  after(() => rmSync(runDir, { recursive: true, force: true }));

  it('a CRL swapped in while out of descriptors (real EMFILE) goes live once descriptors are free, without SIGHUP, never as CONFIG_UNREADABLE', async (t) => {
    const revokingBoth = await buildCrl(pki, { revoke: [pki.clients.revoked.cert, pki.clients.good.cert] });
    const staged = join(runDir, 'keys', '.ca.crl.new');
    copyFileSync(revokingBoth, staged);
    chmodSync(staged, 0o400);
    const records = await runStarvedChild(runDir, staged);
    const text = records.map((r) => JSON.stringify(r)).join('\n');
    assert.equal(
      records.find((r) => r.event === 'exhausted')?.code,
      'EMFILE',
      'the child really ran out of descriptors',
    );
    const end = records.find((r) => r.event === 'end');
    assert.equal(end?.isLive, true, `the new CRL never went live after the descriptors were freed: ${text}`);
    const failed = records.filter((r) => r.event === 'load_failed');
    assert.ok(failed.length >= 1, text);
    for (const f of failed)
      assert.equal(f.code, 'MATERIAL_READ_TRANSIENT', `a load starved of descriptors: ${JSON.stringify(f)}`);
    assert.ok(!text.includes('CONFIG_UNREADABLE'), 'a shortage is never blamed on the config');
    assert.equal(
      records.filter((r) => r.event === 'reload_refused' || r.event === 'failure_counted').length,
      0,
      `not a refusal, not a failure: ${text}`,
    );
    const retrying = records.find((r) => r.event === 'reload_retrying');
    assert.equal(retrying?.level, 'warn');
    assert.equal(retrying?.file, configPathOf(runDir), 'names the file it could not read');
    assert.match(String(retrying?.reason), /EMFILE/);
    const applied = records.find((r) => r.event === 'applied');
    assert.ok(applied !== undefined, `the new CRL was never applied: ${text}`);
    assert.ok(
      (applied.revoked as string[]).includes(pki.clients.good.serial),
      'the client the new CRL revokes is refused',
    );
    t.diagnostic(
      `live ${String(end?.liveAfterReleaseMs)} ms after the descriptors were freed (${failed.length} starved loads retried)`,
    );
    assert.ok((end?.liveAfterReleaseMs as number) < 10_000);
  });

  it('retries forever while the failure is transient, waiting 0.25 s doubling to 5 s, and never counts it as a failure', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      let calls = 0;
      let isShort = true;
      const material = { fingerprints: {} } as unknown as TlsMaterial;
      const counted: string[] = [];
      const warnings: string[] = [];
      const reloader = new MaterialReloader({
        config: { caCrt: '', serverCrt: '', serverKey: '', crl: '' } as never,
        configPath: '/run/config/streamserver.conf',
        runDir: '/run',
        front: { material, applyMaterial: () => assert.fail('nothing changed') },
        metrics: {
          countReloadFailure: (m, r) => counted.push(`${m}/${r}`),
          countReloadApplied: () => undefined,
          setLastGoodLoad: () => undefined,
          setStaleMaterial: () => undefined,
          setMaterialExpiry: () => undefined,
        },
        logger: {
          info: () => undefined,
          warn: (o) => warnings.push(String((o as { event?: string }).event)),
          error: () => assert.fail('a transient failure is not an error'),
        },
        settleMs: 2_000,
        load: async (): Promise<LoadedSet> => {
          calls++;
          if (isShort)
            throw new StreamfrontError('MATERIAL_READ_TRANSIENT', 'config file could not be read just now (EMFILE)', {
              file: '/run/config/streamserver.conf',
            });
          return { config: { caCrt: '', serverCrt: '', serverKey: '', crl: '' } as never, material };
        },
      });
      const flush = async (): Promise<void> => {
        for (let i = 0; i < 5; i++) await Promise.resolve();
      };
      reloader.request('signal');
      await flush();
      assert.equal(calls, 1);
      const waits = [250, 500, 1_000, 2_000, 4_000, 5_000, 5_000, 5_000];
      for (const [i, wait] of waits.entries()) {
        assert.equal(reloader.status().pending?.nextAttemptInMs, wait);
        mock.timers.tick(wait - 1);
        await flush();
        assert.equal(calls, i + 1, `no attempt before ${wait} ms`);
        mock.timers.tick(1);
        await flush();
        assert.equal(calls, i + 2, `an attempt after ${wait} ms`);
      }
      assert.equal(reloader.status().isStale, false);
      assert.deepEqual(counted, []);
      assert.deepEqual(warnings, ['reload_retrying'], 'one warning for one shortage, however long it lasts');
      isShort = false;
      mock.timers.tick(5_000);
      await flush();
      assert.equal(reloader.status().pending, undefined, 'the shortage is over');
      reloader.close();
    } finally {
      mock.timers.reset();
    }
  });
});
