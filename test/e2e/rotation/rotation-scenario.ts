// One way of replacing material, exercised as operators do it: under steady load from good
// clients, ROTATIONS rotations of the CRL, of the server certificate and key, and of the CA
// certificate; each must be seen by clients (polled up to SEEN_WITHIN_MS, times reported), the
// front must commit each within its documented PROMISED_LIVE_MS, with no failed request, no
// dropped connection and the same process throughout.
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import {
  startFrontProcess,
  type ClientTlsOptions,
  type FrontProcess,
  type FrontProcessOptions,
} from '../../fixtures/front-process.js';
import { startSteadyLoad, type LoadReport } from '../../fixtures/load.js';
import { buildPki, type Pki } from '../../fixtures/pki.js';
import {
  LOAD_CLIENTS,
  OpenConnection,
  PROMISED_LIVE_MS,
  SEEN_WITHIN_MS,
  ROTATIONS,
  clientTls,
  freshServerSerial,
  isServedFresh,
  prepareCas,
  prepareCrls,
  preparePairs,
  readyzBody,
  assertPromisedLive,
  frontMsSince,
  isReloaded,
  logSnapshot,
  markPlaced,
  summarize,
  timeUntil,
  type CaFile,
  type LogMark,
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
  /** Optional: more checks once a change is seen live (e.g. on every worker of a group). */
  afterChange?(front: FrontProcess, placed: LogMark, change: RotationChange): Promise<void>;
}

export type RotationChange = 'crl-revoke' | 'crl-spare' | 'pair' | 'ca';

/** What clients saw (probe times) and what the front logged (commit times), per kind of change. */
export interface RotationFigures {
  crlRevokeOpenMs: number[];
  crlRevokeFreshMs: number[];
  crlSpareFreshMs: number[];
  serverCertMs: number[];
  caMs: number[];
  /** Front commit times (placed -> material_reloaded), checked against PROMISED_LIVE_MS. */
  frontCrlMs: number[];
  frontServerMs: number[];
  frontCaMs: number[];
  load: LoadReport;
}

export function emptyFigures(): Omit<RotationFigures, 'load'> {
  return {
    crlRevokeOpenMs: [],
    crlRevokeFreshMs: [],
    crlSpareFreshMs: [],
    serverCertMs: [],
    caMs: [],
    frontCrlMs: [],
    frontServerMs: [],
    frontCaMs: [],
  };
}

export function describeFigures(way: string, f: RotationFigures): string {
  return (
    `${way}: ${ROTATIONS} rotations each. Front commit after the files were in place (promise ${PROMISED_LIVE_MS} ms): ` +
    `CRL ${summarize(f.frontCrlMs)}; server pair ${summarize(f.frontServerMs)}; CA ${summarize(f.frontCaMs)}. ` +
    `Seen by a client's probe (polled up to ${SEEN_WITHIN_MS} ms): revoked on an open connection ${summarize(f.crlRevokeOpenMs)}; ` +
    `revoked on a fresh one ${summarize(f.crlRevokeFreshMs)}; un-revoked ${summarize(f.crlSpareFreshMs)}; server certificate ${summarize(f.serverCertMs)}; CA ${summarize(f.caMs)}. ` +
    `Load: ${f.load.clients} closed-loop clients, ${f.load.ok}/${f.load.sent} ok, ${f.load.failed} failed, slowest answer ${f.load.worstMs.toFixed(0)} ms, ` +
    `${f.load.connectionsOpened} connections opened, ${f.load.connectionsDropped} dropped`
  );
}

/** The promise, per kind of change, as its own assertion. */
export function assertFrontPromise(f: Omit<RotationFigures, 'load'>): void {
  assertPromisedLive('CRL', f.frontCrlMs);
  assertPromisedLive('server pair', f.frontServerMs);
  assertPromisedLive('CA', f.frontCaMs);
}

/** Asserts what every way must hold at the end: no failure, no drop, the same process serving. */
export function assertCleanRun(front: FrontProcess, load: LoadReport, seconds: number): void {
  assert.deepEqual(load.failures, [], 'no request from a good client failed');
  assert.equal(load.failed, 0);
  assert.equal(load.connectionsDropped, 0, 'no connection of a good client was dropped');
  // Not a throughput figure: the closed loop slows with the machine. It shows the clients were
  // served all along rather than stuck behind one hung request.
  assert.ok(load.ok >= seconds, `the load kept flowing: ${load.ok} answers in ${seconds.toFixed(1)} s`);
  const starts = front.logLines().filter((l) => l.msg === 'streamfront serving');
  assert.equal(starts.length, 1, 'one start for the whole test');
  assert.equal(starts[0]?.pid, front.pid, 'the process that started is the one still serving');
  process.kill(front.pid, 0);
}

/**
 * After a CRL change, times what the victim client sees: with `open` (a connection opened
 * before a revoking CRL) refused on it and on a fresh connection; without, served again.
 */
export async function timeVictimOutcome(
  figures: Omit<RotationFigures, 'load'>,
  label: string,
  port: number,
  victim: ClientTlsOptions,
  open: OpenConnection | undefined,
): Promise<void> {
  if (open === undefined) {
    figures.crlSpareFreshMs.push(await timeUntil(`${label}: victim served again`, () => isServedFresh(port, victim)));
    return;
  }
  figures.crlRevokeOpenMs.push(
    await timeUntil(`${label}: victim refused on its open connection`, () => open.isRefused()),
  );
  figures.crlRevokeFreshMs.push(
    await timeUntil(`${label}: victim refused on a fresh connection`, async () => !(await isServedFresh(port, victim))),
  );
  open.close();
}

export async function runRotations(t: TestContext, way: RotationWay): Promise<void> {
  const pki = await buildPki();
  const victim = clientTls(pki, 'goodEc');
  const good = clientTls(pki, 'good');
  const [pairs, cas, crls] = await Promise.all([
    preparePairs(pki, ROTATIONS, pki.password),
    Promise.resolve(prepareCas(pki, ROTATIONS)),
    prepareCrls(pki, ROTATIONS, pki.clients.goodEc.cert),
  ]);
  // STREAMFRONT_ROTATION_WORKERS=2 runs any way against a worker group (way-workers always does).
  const workers = process.env.STREAMFRONT_ROTATION_WORKERS;
  const frontOptions =
    workers === undefined
      ? way.frontOptions
      : { ...way.frontOptions, config: { ...way.frontOptions?.config, workers } };
  const front = await startFrontProcess({ ...frontOptions, pki });
  const figures = emptyFigures();
  const started = performance.now();
  const load = startSteadyLoad({
    port: front.port,
    tls: { ca: good.ca, cert: good.cert as Buffer, key: good.key as Buffer },
    clients: LOAD_CLIENTS,
    freshConnectionShare: 0.1,
  });
  try {
    if (way.setup !== undefined) await way.setup(front, pki);

    for (const [i, crl] of crls.entries()) {
      const isRevoking = i % 2 === 0;
      const open = isRevoking ? await OpenConnection.open(front.port, victim) : undefined;
      if (open !== undefined)
        assert.equal(await open.get(), 200, 'the victim is served before the CRL that revokes it');
      const before = logSnapshot(front);
      await way.placeCrl(front, crl);
      const placed = markPlaced(front, before);
      await timeVictimOutcome(figures, `CRL ${i}`, front.port, victim, open);
      figures.frontCrlMs.push(await frontMsSince(front, placed, isReloaded()));
      await way.afterChange?.(front, placed, isRevoking ? 'crl-revoke' : 'crl-spare');
    }

    for (const [i, pair] of pairs.entries()) {
      const before = logSnapshot(front);
      await way.placePair(front, pair);
      const placed = markPlaced(front, before);
      figures.serverCertMs.push(
        await timeUntil(
          `server pair ${i}: serial ${pair.serial} on a fresh handshake`,
          async () => (await freshServerSerial(front.port, good)) === pair.serial,
        ),
      );
      figures.frontServerMs.push(await frontMsSince(front, placed, isReloaded(pair.serial)));
      await way.afterChange?.(front, placed, 'pair');
    }

    for (const [i, ca] of cas.entries()) {
      const before = logSnapshot(front);
      await way.placeCa(front, ca);
      const placed = markPlaced(front, before);
      figures.caMs.push(
        await timeUntil(
          `CA ${i}: serial ${ca.serial} serving`,
          async () => (await readyzBody(front)).caSerial === ca.serial,
        ),
      );
      figures.frontCaMs.push(await frontMsSince(front, placed, isReloaded()));
      await way.afterChange?.(front, placed, 'ca');
    }

    const report = await load.stop();
    const all: RotationFigures = { ...figures, load: report };
    t.diagnostic(describeFigures(way.name, all));
    assertCleanRun(front, report, (performance.now() - started) / 1000);
    assertFrontPromise(figures);
    const body = await readyzBody(front);
    assert.equal(body.material, 'current');
  } finally {
    await load.stop();
    await front.stop();
  }
}
