// One test file's worth of the matrix: the real run.sh front (default max_content_length),
// then for each client and certificate one batch (one client process), and one subtest per
// cell judging what the client saw and what the engine received.
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { startFrontProcess, type FrontProcess } from '../../fixtures/front-process.js';
import { buildBodies, type BodySet } from './bodies.js';
import { allCellNames, buildCells, CERT_KINDS } from './cells.js';
import { judgeCell } from './check.js';
import {
  describeCell,
  expectedStatus,
  REQUEST_TIMEOUT_MS,
  type BatchReport,
  type BatchSpec,
  type CellSpec,
  type CertKind,
  inferPath,
  isHttp2,
} from './matrix.js';
import type { ClientRunner } from './runner.js';

/** A whole batch on a busy machine: about 25 requests, 45 MB up; far above the usual 1 to 3 s. */
const BATCH_TEST_TIMEOUT_MS = 180_000;

const CLIENT_OF: Readonly<Record<CertKind, 'good' | 'goodEc'>> = { rsa: 'good', ec: 'goodEc' };
const CERT_TITLE: Readonly<Record<CertKind, string>> = {
  rsa: 'an RSA client certificate',
  ec: 'an ECDSA P-256 client certificate',
};

function batchSpec(front: FrontProcess, runner: ClientRunner, cert: CertKind, bodies: BodySet): BatchSpec {
  const files = front.pki.clients[CLIENT_OF[cert]];
  return {
    baseUrl: `https://127.0.0.1:${front.port}`,
    caFile: front.pki.ca.cert,
    certFile: files.cert,
    keyFile: files.key,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    expectContinue: false,
    cells: buildCells(runner, cert, bodies),
  };
}

async function runBatch(
  t: TestContext,
  front: FrontProcess,
  runner: ClientRunner,
  cert: CertKind,
  bodies: BodySet,
  isH2: boolean,
): Promise<void> {
  await runner.prepare();
  const spec = batchSpec(front, runner, cert, bodies);
  const t0 = performance.now();
  const report: BatchReport = await runner.run(spec);
  t.diagnostic(
    `${report.client} ${report.version}: ${report.outcomes.length} requests in ${Math.round(performance.now() - t0)} ms`,
  );
  // Read once the client is done: every request it made has been answered or abandoned.
  const records = await front.engine.requests();
  for (const cell of spec.cells) {
    const outcomes = report.outcomes.filter((o) => o.cell === cell.name);
    const maxConnections = cell.kind === 'keep-alive' ? runner.keepAliveConnections : null;
    await t.test(
      `${describeCell(cell.kind, runner.keepAliveConnections)}: the client reads ${expectedStatus(cell.kind)}, the engine ${expectedStatus(cell.kind) === 200 ? 'gets the exact bytes' : 'gets nothing'}`,
      () => {
        const problems = judgeCell(cell, bodies[cell.kind], outcomes, records, maxConnections);
        // With http2=on every answer must have come over h2, not a silent fallback to HTTP/1.1.
        if (isH2)
          for (const o of outcomes)
            if (o.status !== 0 && !isHttp2(o.protocol)) problems.push(`answered over ${String(o.protocol)}, not h2`);
        if (problems.length > 0) assert.fail(`${cell.name}:\n  ${problems.join('\n  ')}`);
      },
    );
  }
}

/** A refused client: which certificate it presents, and what the front tells it. */
type RefusedClient = 'none' | 'otherCa' | 'revoked';
const REFUSED: ReadonlyArray<{ who: RefusedClient; title: string; reason: string; status: number }> = [
  { who: 'none', title: 'no client certificate', reason: 'no-certificate', status: 400 },
  { who: 'otherCa', title: "another CA's certificate", reason: 'unknown-ca', status: 400 },
  { who: 'revoked', title: 'a revoked certificate', reason: 'revoked', status: 403 },
];

/**
 * The reason the front can see. Go's TLS client sends a certificate only if its issuer is among
 * the CAs the server's CertificateRequest names (Node names the trusted CA): with another CA's
 * certificate Go sends none, and the front rightly says no-certificate.
 */
function reasonSeen(runner: ClientRunner, refused: (typeof REFUSED)[number]): string {
  return refused.who === 'otherCa' && runner.id.startsWith('go') ? 'no-certificate' : refused.reason;
}

/**
 * One 1 KB request from a refused client. The front finishes the handshake and answers in HTTP
 * (status and a JSON reason), so the client must read that answer, not a TLS alert or a reset.
 */
async function runRefused(
  t: TestContext,
  front: FrontProcess,
  runner: ClientRunner,
  refused: (typeof REFUSED)[number],
  bodies: BodySet,
  isH2: boolean,
): Promise<void> {
  await runner.prepare();
  const files = refused.who === 'none' ? { cert: '', key: '' } : front.pki.clients[refused.who];
  const name = `${runner.id}-refused-${refused.who}`;
  const cell: CellSpec = {
    name,
    kind: '1k',
    path: inferPath(name),
    bodyFile: bodies['1k'].path,
    bodyBytes: bodies['1k'].bytes,
    isChunked: false,
    repeat: 1,
  };
  const report = await runner.run({
    baseUrl: `https://127.0.0.1:${front.port}`,
    caFile: front.pki.ca.cert,
    certFile: files.cert,
    keyFile: files.key,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    expectContinue: false,
    cells: [cell],
  });
  const [seen] = report.outcomes;
  t.diagnostic(`${report.client} ${report.version}: ${JSON.stringify(seen)}`);
  assert.ok(seen !== undefined && report.outcomes.length === 1, `one outcome: ${JSON.stringify(report.outcomes)}`);
  assert.equal(seen.status, refused.status, `status (client error: ${String(seen.error)})`);
  assert.match(seen.bodyHead, new RegExp(`"reason":"${reasonSeen(runner, refused)}"`));
  if (isH2) assert.ok(isHttp2(seen.protocol), `answered over ${String(seen.protocol)}, not h2`);
  const records = await front.engine.requests();
  assert.deepEqual(
    records.filter((r) => r.path === cell.path),
    [],
    'the engine received nothing',
  );
}

/** Registers the matrix rows of `runners` in the calling test file. */
/**
 * opts.http2: the front runs with http2=on and every answer must come over h2.
 * opts.refusals: also a row per runner for a client with no certificate, another CA's, a revoked one.
 */
export function describeInterop(
  family: string,
  runners: readonly ClientRunner[],
  opts: { readonly http2?: boolean; readonly refusals?: boolean } = {},
): void {
  const isH2 = opts.http2 === true;
  let front: FrontProcess;
  let bodies: BodySet;

  before(async () => {
    bodies = buildBodies();
    // keepRequests: every record of the file stays, so no cell's requests are pushed out.
    front = await startFrontProcess({
      engine: { models: allCellNames(runners), keepRequests: 100_000 },
      ...(isH2 ? { config: { http2: 'on' } } : {}),
    });
  });

  after(async () => {
    await front?.stop();
  });

  describe(`interop: ${family}`, () => {
    it('uses an RSA and an ECDSA P-256 client certificate', () => {
      const key = (cert: CertKind): X509Certificate['publicKey'] =>
        new X509Certificate(readFileSync(front.pki.clients[CLIENT_OF[cert]].cert)).publicKey;
      assert.equal(key('rsa').asymmetricKeyType, 'rsa');
      assert.equal(key('ec').asymmetricKeyType, 'ec');
      assert.equal(key('ec').asymmetricKeyDetails?.namedCurve, 'prime256v1');
    });

    for (const runner of runners) {
      for (const cert of CERT_KINDS) {
        it(`${runner.title} with ${CERT_TITLE[cert]}`, { timeout: BATCH_TEST_TIMEOUT_MS }, (t) =>
          runBatch(t, front, runner, cert, bodies, isH2),
        );
      }
      if (opts.refusals !== true) continue;
      for (const refused of REFUSED) {
        it(
          `${runner.title} with ${refused.title}: reads ${refused.status} reason ${refused.reason}, the engine gets nothing`,
          {
            timeout: BATCH_TEST_TIMEOUT_MS,
          },
          (t) => runRefused(t, front, runner, refused, bodies, isH2),
        );
      }
    }
  });
}
