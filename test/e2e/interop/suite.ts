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
  type CertKind,
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

/** Registers the matrix rows of `runners` in the calling test file. */
/** opts.http2: the front runs with http2=on and every answer must come over h2. */
export function describeInterop(
  family: string,
  runners: readonly ClientRunner[],
  opts: { readonly http2?: boolean } = {},
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
    }
  });
}
