// Way 2: move the old files away and run certImport.sh again with a new CA certificate, a new
// server certificate, a new key under a new password (so server_key_mm changes) and a new CRL.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { startFrontProcess } from '../../fixtures/front-process.js';
import { startSteadyLoad } from '../../fixtures/load.js';
import { buildPki, buildServerPair } from '../../fixtures/pki.js';
import { projectRoot } from '../../fixtures/project-root.js';
import {
  LOAD_CLIENTS,
  OpenConnection,
  frontMsSince,
  isReloaded,
  logSnapshot,
  markPlaced,
  ROTATIONS,
  clientTls,
  freshServerSerial,
  prepareCas,
  prepareCrls,
  readyzBody,
  timeUntil,
} from './rotation-kit.js';
import {
  assertCleanRun,
  assertFrontPromise,
  describeFigures,
  emptyFigures,
  timeVictimOutcome,
} from './rotation-scenario.js';

const run = promisify(execFile);
const KEY_FILES = ['ca.crt', 'server.crt', 'server.key', 'ca.crl'];

function serverKeyMm(configPath: string): string {
  return /^server_key_mm=(.*)$/m.exec(readFileSync(configPath, 'utf8'))?.[1] ?? '';
}

test('way 2: certImport.sh again with a new password, under load: every import live within 1 s (front commit), no failed request', {
  timeout: 300_000,
}, async (t) => {
  const pki = await buildPki();
  const victim = clientTls(pki, 'goodEc');
  const good = clientTls(pki, 'good');
  const pairs = [];
  for (let i = 0; i < ROTATIONS; i++) pairs.push(await buildServerPair(pki));
  const cas = prepareCas(pki, ROTATIONS);
  const crls = await prepareCrls(pki, ROTATIONS, pki.clients.goodEc.cert);
  const secrets = mkdtempSync(join(tmpdir(), 'sf-reimport-pass-'));
  const front = await startFrontProcess({ pki });
  const figures = emptyFigures();
  const importMs: number[] = [];
  const started = performance.now();
  const load = startSteadyLoad({
    port: front.port,
    tls: { ca: good.ca, cert: good.cert as Buffer, key: good.key as Buffer },
    clients: LOAD_CLIENTS,
    freshConnectionShare: 0.1,
  });
  try {
    for (let i = 0; i < ROTATIONS; i++) {
      const pair = pairs[i] as (typeof pairs)[number];
      const ca = cas[i] as (typeof cas)[number];
      const isRevoking = i % 2 === 0;
      const open = isRevoking ? await OpenConnection.open(front.port, victim) : undefined;
      if (open !== undefined) assert.equal(await open.get(), 200);
      const mmBefore = serverKeyMm(front.configPath);

      const old = join(front.runDir, `old-keys-${i}`);
      mkdirSync(old);
      for (const name of KEY_FILES) renameSync(join(front.runDir, 'keys', name), join(old, name));
      const passwordFile = join(secrets, `password-${i}`);
      writeFileSync(passwordFile, `${pair.password}\n`, { mode: 0o600 });
      const before = logSnapshot(front);
      const importStart = performance.now();
      await run(
        'bash',
        [
          join(projectRoot, 'certImport.sh'),
          '-c',
          ca.cert,
          '-s',
          pair.cert,
          '-k',
          pair.keyEncrypted,
          '-r',
          crls[i] as string,
          '--password-file',
          passwordFile,
        ],
        { cwd: front.runDir },
      );

      importMs.push(performance.now() - importStart);
      // One import changes every file; the set is whole once it serves the new certificate.
      const placed = markPlaced(front, before);
      assert.notEqual(serverKeyMm(front.configPath), mmBefore, 'the new password is recorded as a new server_key_mm');
      figures.serverCertMs.push(
        await timeUntil(
          `import ${i}: server serial ${pair.serial} on a fresh handshake`,
          async () => (await freshServerSerial(front.port, good)) === pair.serial,
        ),
      );
      figures.caMs.push(
        await timeUntil(
          `import ${i}: CA ${ca.serial} serving`,
          async () => (await readyzBody(front)).caSerial === ca.serial,
        ),
      );
      await timeVictimOutcome(figures, `import ${i}`, front.port, victim, open);
      figures.frontServerMs.push(await frontMsSince(front, placed, isReloaded(pair.serial)));
    }
    const report = await load.stop();
    t.diagnostic(describeFigures('certImport.sh again', { ...figures, load: report }));
    t.diagnostic(
      `certImport.sh under load took ${Math.min(...importMs).toFixed(0)} to ${Math.max(...importMs).toFixed(0)} ms per run`,
    );
    assertCleanRun(front, report, (performance.now() - started) / 1000);
    assertFrontPromise(figures);
    assert.equal((await readyzBody(front)).material, 'current');
  } finally {
    await load.stop();
    await front.stop();
    rmSync(secrets, { recursive: true, force: true });
  }
});
