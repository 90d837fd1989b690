// Bad replacements are refused while the last good set keeps serving; a CRL can be added to a
// front started without one; SIGHUP reports a refusal at once.
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setConfigItems, writeConfigAtomic } from '../../../src/config/index.js';
import { Keystore, keystorePathsIn } from '../../../src/kmc/index.js';
import { startFrontProcess, type FrontProcess } from '../../fixtures/front-process.js';
import { startSteadyLoad, type SteadyLoad } from '../../fixtures/load.js';
import { buildBadInputs, ROLE_LIVE } from '../../fixtures/bad-inputs.js';
import { startClosedLoop, type ClosedLoop } from '../../fixtures/closed-loop.js';
import { buildPki, type Pki } from '../../fixtures/pki.js';
import { adminGet, metricSum, parseMetrics } from '../front/client.js';
import {
  LOAD_CLIENTS,
  OpenConnection,
  PROMISED_LIVE_MS,
  assertPromisedLive,
  frontMsSince,
  isReloaded,
  markPlaced,
  summarize,
  clientTls,
  freshServerSerial,
  isServedFresh,
  readyzBody,
  renameOver,
  timeUntil,
} from './rotation-kit.js';
import { assertCleanRun } from './rotation-scenario.js';

interface BadCase {
  readonly name: string;
  readonly material: string;
  readonly code: RegExp;
  /** Puts the bad material in place; returns how to put the good one back. */
  place(front: FrontProcess, pki: Pki): Promise<() => Promise<void>>;
}

function garbageFile(): string {
  const path = join(tmpdir(), `sf-garbage-${process.pid}-${Date.now()}.crt`);
  writeFileSync(path, 'this is not a certificate\n');
  return path;
}

/** Replaces keys/<name> with the bad file; the undo puts the imported one back the same way. */
function swapKeysFile(name: string, bad: (pki: Pki) => string, good: (pki: Pki) => string): BadCase['place'] {
  return async (front, pki) => {
    const target = join(front.runDir, 'keys', name);
    await renameOver(target, bad(pki));
    return () => renameOver(target, good(pki));
  };
}

const CASES: readonly BadCase[] = [
  {
    name: 'a CRL signed by another CA',
    material: 'crl',
    code: /^PKI_CRL_(WRONG_ISSUER|BAD_SIGNATURE)$/,
    place: swapKeysFile(
      'ca.crl',
      (p) => p.crls.otherCa,
      (p) => p.crls.good,
    ),
  },
  {
    name: 'an expired CRL',
    material: 'crl',
    code: /^PKI_CRL_EXPIRED$/,
    place: swapKeysFile(
      'ca.crl',
      (p) => p.crls.expired,
      (p) => p.crls.good,
    ),
  },
  {
    name: 'garbage as the server certificate',
    material: 'server_cert',
    code: /^PKI_/,
    place: swapKeysFile('server.crt', garbageFile, (p) => p.server.cert),
  },
  {
    name: 'a key that does not match the certificate',
    material: 'server_key',
    code: /^PKI_KEY_MISMATCH$/,
    place: swapKeysFile(
      'server.key',
      (p) => p.bad.mismatchedKeyEncrypted,
      (p) => p.server.keyEncrypted,
    ),
  },
  {
    name: 'a server certificate from another CA',
    material: 'server_cert',
    code: /^PKI_CERT_NOT_SIGNED_BY_CA$/,
    place: swapKeysFile(
      'server.crt',
      (p) => p.bad.serverSameNameOtherCa,
      (p) => p.server.cert,
    ),
  },
  {
    name: 'a wrong password in server_key_mm',
    material: 'password',
    code: /^PKI_KEY_BAD_PASSWORD$/,
    async place(front) {
      const original = readFileSync(front.configPath, 'utf8');
      const keystore = await Keystore.open(keystorePathsIn(join(front.runDir, 'keys')), {});
      const wrong = keystore.encrypt('not the key password', 'server_key_mm', 9);
      await writeConfigAtomic(front.configPath, setConfigItems(original, { server_key_mm: wrong }));
      return () => writeConfigAtomic(front.configPath, original);
    },
  },
];

/**
 * From the bad-input corpus: the live-swappable kinds the cases above do not cover, four per
 * file (CA, server certificate, server key, CRL), each dropped into keys/ by rename.
 */
const CORPUS_LIVE = [
  'a truncated CA PEM',
  'garbage inside CERTIFICATE armour as the CA',
  'a CA without CA:TRUE',
  'the server (leaf) certificate used as the CA',
  'a CA bundle whose intermediate has no issuer in it',
  'a truncated server certificate',
  'a sha384-signed server certificate',
  'a not-yet-valid server certificate',
  'a server certificate for clientAuth only',
  'a truncated key',
  'an unencrypted key',
  'an ECDSA P-256 key',
  'a sha1-signed server certificate',
  'a CRL from the future',
  'a CRL with a bad signature',
  'a CRL that revokes the server certificate',
  'garbage inside X509 CRL armour',
];
const corpus = buildBadInputs(await buildPki());
const CORPUS_CASES: BadCase[] = CORPUS_LIVE.map((name) => {
  const c = corpus.find((x) => x.name === name);
  if (c?.role === undefined || c.file === undefined || c.live !== true)
    throw new Error(`corpus: no live case '${name}'`);
  const { keysName, material } = ROLE_LIVE[c.role];
  const file = c.file;
  const original = (p: Pki): string =>
    ({ ca: p.ca.cert, server: p.server.cert, key: p.server.keyEncrypted, crl: p.crls.good })[
      c.role as keyof typeof ROLE_LIVE
    ];
  return {
    name: `${name} (corpus)`,
    material,
    code: new RegExp(`^${c.code}$`),
    place: swapKeysFile(keysName, () => file, original),
  };
});

describe('bad replacements while serving', () => {
  let pki: Pki;
  let front: FrontProcess;
  let load: SteadyLoad;
  let closedLoop: ClosedLoop;
  let started: number;
  let originalSerial: string;

  before(async () => {
    pki = await buildPki();
    front = await startFrontProcess({ pki });
    const good = clientTls(pki, 'good');
    originalSerial = await freshServerSerial(front.port, good);
    started = performance.now();
    load = startSteadyLoad({
      port: front.port,
      tls: { ca: good.ca, cert: good.cert as Buffer, key: good.key as Buffer },
      clients: LOAD_CLIENTS,
      freshConnectionShare: 0.1,
    });
    // Beside the paced load: clients that each wait for their answer, a third on fresh handshakes.
    closedLoop = startClosedLoop({
      port: front.port,
      tls: { ca: good.ca, cert: good.cert as Buffer, key: good.key as Buffer },
      clients: 2,
      freshShare: 0.3,
    });
  });
  after(async () => {
    await load.stop();
    await closedLoop.stop();
    await front.stop();
  });

  for (const bad of [...CASES, ...CORPUS_CASES]) {
    it(`refuses ${bad.name} and keeps serving the last good set`, async () => {
      const seenBefore = new Set(front.logLines());
      const undo = await bad.place(front, pki);
      try {
        const refused = await front.waitForLog(
          (l) => !seenBefore.has(l) && l.event === 'reload_refused' && bad.code.test(String(l.code)),
          8_000,
        );
        assert.equal(refused.material, bad.material);
        assert.ok(typeof refused.hint === 'string' && refused.hint.length > 0, 'the log line says what to do');

        const ready = await adminGet(front.adminPort, '/readyz');
        assert.equal(ready.status, 200, 'stale material still serves, so the front stays ready');
        const body = JSON.parse(ready.body.toString()) as {
          material: string;
          reloadRefused: { code: string; material: string };
        };
        assert.equal(body.material, 'stale');
        assert.match(body.reloadRefused.code, bad.code);
        const metrics = parseMetrics((await adminGet(front.adminPort, '/metrics')).body.toString());
        assert.ok(
          metricSum(metrics, 'streamfront_reload_failures_total', {
            material: bad.material,
            reason: String(refused.code),
          }) >= 1,
        );
        assert.equal(metricSum(metrics, 'streamfront_material_stale'), 1);
        assert.equal(
          await freshServerSerial(front.port, clientTls(pki, 'good')),
          originalSerial,
          'new handshakes still get the last good certificate',
        );
        assert.equal(
          await isServedFresh(front.port, clientTls(pki, 'revoked')),
          false,
          'the last good CRL is still enforced',
        );
      } finally {
        await undo();
      }
      await timeUntil('material current again', async () => (await readyzBody(front)).material === 'current', 6_000);
      const after = parseMetrics((await adminGet(front.adminPort, '/metrics')).body.toString());
      assert.equal(metricSum(after, 'streamfront_material_stale'), 0);
    });
  }

  it('reports a refusal within 1 s of SIGHUP, without waiting for the files to settle', async (t) => {
    const target = join(front.runDir, 'keys', 'ca.crl');
    const seenBefore = new Set(front.logLines());
    await renameOver(target, pki.crls.expired);
    const signalled = markPlaced(front, seenBefore);
    front.signal('SIGHUP');
    // Measured by the front's own log time: the 2 s quiet wait of a file change must not apply.
    const ms = await frontMsSince(front, signalled, (l) => l.event === 'reload_refused');
    t.diagnostic(`refusal logged ${ms.toFixed(0)} ms after SIGHUP (the quiet wait for a file change is 2000 ms)`);
    assert.ok(ms < PROMISED_LIVE_MS, `refusal logged ${ms.toFixed(0)} ms after SIGHUP`);
    await renameOver(target, pki.crls.good);
    await timeUntil('material current again', async () => (await readyzBody(front)).material === 'current');
  });

  it('served every good request throughout, from the same process', async () => {
    const report = await load.stop();
    assertCleanRun(front, report, (performance.now() - started) / 1000);
    const closed = await closedLoop.stop();
    assert.deepEqual(closed.failures, [], 'closed-loop clients saw failures');
    assert.ok(closed.ok > 100, `closed-loop clients got only ${closed.ok} answers`);
  });
});

describe('a CRL added while running', () => {
  it('revokes on fresh and already-open connections within 1 s of crl= being set', async (t) => {
    const pki = await buildPki();
    const front = await startFrontProcess({ pki, withCrl: false });
    try {
      const revoked = clientTls(pki, 'revoked');
      assert.equal(await isServedFresh(front.port, revoked), true, 'no CRL yet: the client is served');
      const open = await OpenConnection.open(front.port, revoked);
      assert.equal(await open.get(), 200);
      const target = join(front.runDir, 'keys', 'ca.crl');
      copyFileSync(pki.crls.good, target);
      chmodSync(target, 0o400);
      const before = new Set(front.logLines());
      await writeConfigAtomic(
        front.configPath,
        setConfigItems(readFileSync(front.configPath, 'utf8'), { crl: 'keys/ca.crl' }),
      );
      const placed = markPlaced(front, before);
      const onOpen = await timeUntil('refused on the open connection', () => open.isRefused());
      const onFresh = await timeUntil(
        'refused on a fresh connection',
        async () => !(await isServedFresh(front.port, revoked)),
      );
      open.close();
      const committed = await frontMsSince(front, placed, isReloaded());
      t.diagnostic(
        `front commit ${committed.toFixed(0)} ms after crl= was set; seen refused on the open connection after ${onOpen.toFixed(0)} ms, on a fresh one after ${summarize([onFresh])}`,
      );
      assertPromisedLive('CRL added', [committed]);
      assert.equal(await isServedFresh(front.port, clientTls(pki, 'good')), true);
    } finally {
      await front.stop();
    }
  });
});
