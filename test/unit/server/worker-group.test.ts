// The worker group driven directly (no run.sh): the scheduled session-ticket key reaches every
// worker, so a ticket issued before a rotation resumes nowhere after it and one issued after it
// resumes on every worker.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { connect, type TLSSocket } from 'node:tls';
import pino from 'pino';
import { loadConfigFile, readFrontConfig, type FrontConfig } from '../../../src/config/index.js';
import { loadMaterial } from '../../../src/material/load.js';
import { FrontMetrics } from '../../../src/server/metrics.js';
import { startWorkerGroup, type WorkerGroup } from '../../../src/server/worker-group.js';
import { configPathOf, importInProcess, newRunDir } from '../../fixtures/import-in-process.js';
import { buildPki, type Pki } from '../../fixtures/pki.js';

const PERIOD_MS = 1_500;

interface Resumption {
  readonly isReused: boolean;
  readonly session: Buffer | undefined;
}

describe('worker group: the scheduled ticket key', () => {
  let pki: Pki;
  let runDir: string;
  let group: WorkerGroup;
  const lines: string[] = [];

  before(async () => {
    pki = await buildPki();
    runDir = newRunDir('sf-group-');
    await importInProcess(
      runDir,
      { ca: pki.ca.cert, serverCert: pki.server.cert, serverKey: pki.server.keyEncrypted, crl: pki.crls.good },
      pki.password,
    );
    const loaded = readFrontConfig((await loadConfigFile(configPathOf(runDir))).parsed);
    const config: FrontConfig = { ...loaded, serverPort: 0, workers: 2, accessLog: false };
    const material = await loadMaterial({ config, runDir, env: {}, now: new Date() });
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    group = await startWorkerGroup({
      config,
      material,
      logger,
      logLevel: 'info',
      metrics: new FrontMetrics({ serverName: 'sf' }),
      writeLog: (text) => lines.push(text),
      ticketKeyPeriodMs: PERIOD_MS,
    });
  });

  after(async () => {
    await group?.shutdown(0);
    rmSync(runDir, { recursive: true, force: true });
  });

  function connectOnce(session?: Buffer): Promise<Resumption> {
    return new Promise((resolve, reject) => {
      let ticket: Buffer | undefined;
      let isReused = false;
      const socket: TLSSocket = connect(
        {
          host: '127.0.0.1',
          port: group.port,
          servername: 'localhost',
          ca: readFileSync(pki.ca.cert),
          cert: readFileSync(pki.clients.good.cert),
          key: readFileSync(pki.clients.good.key),
          session,
        },
        () => {
          isReused = socket.isSessionReused();
          socket.write('GET /healthz HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n');
        },
      );
      socket.on('session', (s: Buffer) => {
        ticket = s;
      });
      socket.on('data', () => undefined);
      socket.once('error', reject);
      socket.once('close', () => resolve({ isReused, session: ticket }));
    });
  }

  it('ends every ticket at the rotation, in every worker, and the next ticket resumes on both', async () => {
    const old = await connectOnce();
    assert.ok(old.session !== undefined);
    const deadline = Date.now() + 10 * PERIOD_MS;
    // Until the rotation: the old ticket stops resuming (two in a row, so both workers saw it).
    for (let misses = 0; misses < 2; ) {
      if (Date.now() > deadline) throw new Error('the old ticket still resumed after 10 periods');
      misses = (await connectOnce(old.session)).isReused ? 0 : misses + 1;
    }
    // A rotation may fall inside one attempt; each attempt is shorter than a period.
    let results: boolean[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const fresh = await connectOnce();
      results = [];
      for (let i = 0; i < 6; i++) results.push((await connectOnce(fresh.session)).isReused);
      if (results.every(Boolean)) break;
    }
    assert.deepEqual(results, [true, true, true, true, true, true], 'consecutive connections reach both workers');
  });

  it('renders one /metrics for both workers', async () => {
    const text = await group.renderMetrics();
    assert.equal(text.match(/^streamfront_worker_info\{/gm)?.length, 2);
    assert.match(text, /^streamfront_worker_restarts_total 0$/m);
  });
});
