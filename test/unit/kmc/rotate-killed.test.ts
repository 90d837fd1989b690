// `npm run kmc -- rotate` killed with SIGKILL around each write of the keystore (before and after
// each copy is renamed into place), then what an operator does next: `run.sh --check` passes and
// a start serves a good client with the key whose password server_key_mm holds.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { setConfigItems } from '../../../src/config/index.js';
import { buildPki, type Pki } from '../../fixtures/pki.js';
import { clientOptions } from '../../fixtures/front-process.js';
import { configPathOf, importInProcess, newRunDir } from '../../fixtures/import-in-process.js';
import { projectRoot } from '../../fixtures/project-root.js';
import { call } from '../../e2e/front/client.js';

const KMC = fileURLToPath(new URL('../../../src/cli/kmc.js', import.meta.url));
const PRELOAD = fileURLToPath(new URL('./pause-rename-preload.js', import.meta.url));
const RUN_SH = join(projectRoot, 'run.sh');
/** Where the kill lands, and the torn state it must leave (proof that it landed there). */
const KILL_POINTS = [
  { point: 'before:kmc.ks', isTempLeft: true, areCopiesEqual: true },
  { point: 'after:kmc.ks', isTempLeft: false, areCopiesEqual: false },
  { point: 'before:StandbyKsf.ks', isTempLeft: true, areCopiesEqual: false },
  { point: 'after:StandbyKsf.ks', isTempLeft: false, areCopiesEqual: true },
] as const;

function keystoreState(runDir: string): { isTempLeft: boolean; areCopiesEqual: boolean } {
  const keys = join(runDir, 'keys');
  return {
    isTempLeft: readdirSync(keys).some((n) => n.endsWith('.tmp')),
    areCopiesEqual: readFileSync(join(keys, 'kmc.ks')).equals(readFileSync(join(keys, 'StandbyKsf.ks'))),
  };
}

/** Runs the real kmc rotate in runDir and SIGKILLs it once it is held at `point`. */
async function rotateKilledAt(runDir: string, point: string): Promise<void> {
  const child = spawn(process.execPath, ['--import', PRELOAD, KMC, 'rotate'], {
    cwd: runDir,
    env: { ...process.env, SF_TEST_PAUSE_RENAME: point },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`kmc rotate never reached ${point}: ${err}`)), 20_000);
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes(`kmc-test-paused ${point}`)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kmc rotate exited ${String(code)} before ${point}: ${err}`));
    });
  });
  child.kill('SIGKILL');
  await exited;
}

/** run.sh in runDir until it logs 'front listening'; its port and a stop(). */
async function startFront(runDir: string): Promise<{ port: number; stop(): Promise<void> }> {
  const child = spawn('bash', [RUN_SH], { cwd: runDir, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the front did not start:\n${out}`)), 30_000);
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = /"port":(\d+)[^\n]*"msg":"front listening"/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the front exited ${String(code)}:\n${out}`));
    });
  });
  return {
    port,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

describe('kmc rotate killed with SIGKILL, then run.sh --check and a start', { timeout: 240_000 }, () => {
  let pki: Pki;
  let engine: Server;
  let enginePort: number;
  const runDirs: string[] = [];

  before(async () => {
    pki = await buildPki();
    engine = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.end('{"ready":true}'));
    });
    await new Promise<void>((r) => engine.listen(0, '127.0.0.1', r));
    enginePort = (engine.address() as { port: number }).port;
  });
  after(() => {
    engine.close();
    for (const dir of runDirs) rmSync(dir, { recursive: true, force: true });
  });

  for (const { point, ...torn } of KILL_POINTS) {
    it(`killed ${point.replace(':', ' the rename of ')}: --check passes and the front serves`, async (t) => {
      const runDir = newRunDir('sf-kmc-kill-');
      runDirs.push(runDir);
      await importInProcess(
        runDir,
        { ca: pki.ca.cert, serverCert: pki.server.cert, serverKey: pki.server.keyEncrypted, crl: pki.crls.good },
        pki.password,
      );
      const configPath = configPathOf(runDir);
      writeFileSync(
        configPath,
        setConfigItems(readFileSync(configPath, 'utf8'), {
          server_port: '0',
          admin_port: '0',
          engine_url: `http://127.0.0.1:${enginePort}`,
        }),
      );

      await rotateKilledAt(runDir, point);
      assert.deepEqual(keystoreState(runDir), torn, 'the kill left the keystore half-rotated as intended');

      const check = spawnSync('bash', [RUN_SH, '--check'], { cwd: runDir, encoding: 'utf8' });
      assert.equal(check.status, 0, `run.sh --check after the kill:\n${check.stdout}\n${check.stderr}`);
      assert.match(check.stdout, /check passed/);

      const t0 = performance.now();
      const front = await startFront(runDir);
      try {
        const answer = await call(front.port, { tls: clientOptions(pki, 'good'), path: '/v2/ready' });
        assert.equal(answer.status, 200, answer.body.toString());
        t.diagnostic(`serving ${((performance.now() - t0) / 1000).toFixed(1)} s after the start`);
      } finally {
        await front.stop();
      }
      // A rotation run to its end now finds the keystore usable, and the front still starts on it.
      const rotated = spawnSync(process.execPath, [KMC, 'rotate'], { cwd: runDir, encoding: 'utf8' });
      assert.equal(rotated.status, 0, rotated.stderr);
      assert.deepEqual(keystoreState(runDir), { isTempLeft: false, areCopiesEqual: true });
    });
  }
});
