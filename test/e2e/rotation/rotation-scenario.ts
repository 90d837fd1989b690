// One way of replacing material, exercised as operators do it: under steady load from good
// clients, ROTATIONS rotations of the CRL, of the server certificate and key, and of the CA
// certificate; each must be in use within LIVE_WITHIN_MS, with no failed request, no dropped
// connection and the same process throughout.
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { startFrontProcess, type FrontProcess, type FrontProcessOptions } from '../../fixtures/front-process.js';
import { startSteadyLoad, type LoadReport } from '../../fixtures/load.js';
import { buildPki, type Pki } from '../../fixtures/pki.js';
import {
  LIVE_WITHIN_MS,
  LOAD_RATE,
  OpenConnection,
  ROTATIONS,
  clientTls,
  freshServerSerial,
  isServedFresh,
  prepareCas,
  prepareCrls,
  preparePairs,
  readyzBody,
  timeUntil,
  type CaFile,
  type ServerPairFiles,
} from './rotation-kit.js';

/** How one way puts each kind of material in place. */
export interface RotationWay {
  readonly name: string;
  /** Optional: how the front is started (e.g. runAs another user). */
  readonly frontOptions?: Omit<FrontProcessOptions, 'pki'>;
  /** Optional: bring the run folder into this way's layout before the rotations start. */
  setup?(front: FrontProcess, pki: Pki): Promise<void>;
  placeCrl(front: FrontProcess, crl: string): Promise<void>;
  placePair(front: FrontProcess, pair: ServerPairFiles): Promise<void>;
  placeCa(front: FrontProcess, ca: CaFile): Promise<void>;
}

export interface RotationFigures {
  crlRevokeOpenMs: number[];
  crlRevokeFreshMs: number[];
  crlSpareFreshMs: number[];
  serverCertMs: number[];
  caMs: number[];
  load: LoadReport;
}

const max = (xs: number[]): string => (xs.length === 0 ? '-' : Math.max(...xs).toFixed(0));

export function describeFigures(way: string, f: RotationFigures): string {
  return (
    `${way}: ${ROTATIONS} rotations each; slowest to be live (ms): revoked on an open connection ${max(f.crlRevokeOpenMs)}, ` +
    `revoked on a fresh one ${max(f.crlRevokeFreshMs)}, un-revoked ${max(f.crlSpareFreshMs)}, server certificate ${max(f.serverCertMs)}, CA ${max(f.caMs)}; ` +
    `load: ${f.load.ok}/${f.load.sent} ok, ${f.load.failed} failed, ${f.load.connectionsOpened} connections opened, ${f.load.connectionsDropped} dropped`
  );
}

/** Asserts what every way must hold at the end: no failure, no drop, the same process serving. */
export function assertCleanRun(front: FrontProcess, load: LoadReport, seconds: number): void {
  assert.deepEqual(load.failures, [], 'no request from a good client failed');
  assert.equal(load.failed, 0);
  assert.equal(load.connectionsDropped, 0, 'no connection of a good client was dropped');
  assert.ok(load.ok >= LOAD_RATE * seconds * 0.5, `the load kept flowing: ${load.ok} answers in ${seconds.toFixed(1)} s`);
  const starts = front.logLines().filter((l) => l.msg === 'streamfront serving');
  assert.equal(starts.length, 1, 'one start for the whole test');
  assert.equal(starts[0]?.pid, front.pid, 'the process that started is the one still serving');
  process.kill(front.pid, 0);
}

export async function runRotations(t: TestContext, way: RotationWay): Promise<void> {
  const pki = await buildPki();
  const victim = clientTls(pki, 'goodEc');
  const good = clientTls(pki, 'good');
  const [pairs, cas, crls] = await Promise.all([preparePairs(pki, ROTATIONS, pki.password), Promise.resolve(prepareCas(pki, ROTATIONS)), prepareCrls(pki, ROTATIONS, pki.clients.goodEc.cert)]);
  const front = await startFrontProcess({ ...way.frontOptions, pki });
  const figures: Omit<RotationFigures, 'load'> = { crlRevokeOpenMs: [], crlRevokeFreshMs: [], crlSpareFreshMs: [], serverCertMs: [], caMs: [] };
  const started = performance.now();
  const load = startSteadyLoad({ port: front.port, tls: { ca: good.ca, cert: good.cert as Buffer, key: good.key as Buffer }, ratePerSecond: LOAD_RATE, keepAliveSockets: 4, freshConnectionShare: 0.1 });
  try {
    if (way.setup !== undefined) await way.setup(front, pki);

    for (const [i, crl] of crls.entries()) {
      const isRevoking = i % 2 === 0;
      const open = isRevoking ? await OpenConnection.open(front.port, victim) : undefined;
      if (open !== undefined) assert.equal(await open.get(), 200, 'the victim is served before the CRL that revokes it');
      await way.placeCrl(front, crl);
      if (open !== undefined) {
        figures.crlRevokeOpenMs.push(await timeUntil(`CRL ${i}: victim refused on its open connection`, () => open.isRefused()));
        figures.crlRevokeFreshMs.push(await timeUntil(`CRL ${i}: victim refused on a fresh connection`, async () => !(await isServedFresh(front.port, victim))));
        open.close();
      } else {
        figures.crlSpareFreshMs.push(await timeUntil(`CRL ${i}: victim served again`, () => isServedFresh(front.port, victim)));
      }
    }

    for (const [i, pair] of pairs.entries()) {
      await way.placePair(front, pair);
      figures.serverCertMs.push(await timeUntil(`server pair ${i}: serial ${pair.serial} on a fresh handshake`, async () => (await freshServerSerial(front.port, good)) === pair.serial));
    }

    for (const [i, ca] of cas.entries()) {
      await way.placeCa(front, ca);
      figures.caMs.push(await timeUntil(`CA ${i}: serial ${ca.serial} serving`, async () => (await readyzBody(front)).caSerial === ca.serial));
    }

    const report = await load.stop();
    const all: RotationFigures = { ...figures, load: report };
    t.diagnostic(describeFigures(way.name, all));
    assertCleanRun(front, report, (performance.now() - started) / 1000);
    for (const [what, xs] of Object.entries(figures)) {
      for (const ms of xs) assert.ok(ms <= LIVE_WITHIN_MS, `${what}: a change took ${ms.toFixed(0)} ms to be live`);
    }
    const body = await readyzBody(front);
    assert.equal(body.material, 'current');
  } finally {
    await load.stop();
    await front.stop();
  }
}
