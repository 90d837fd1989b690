// npm run bench:h2-windows — the HTTP/2 receive windows (src/server/h2-sessions.ts) under load:
// an in-process front with http2=on, Node's own h2 client with its defaults, 1 to 8 parallel
// 15 MB uploads on one session, several rounds each. Prints MB/s and every upload that broke off.
// To compare other windows, change STREAM_WINDOW_BYTES / CONNECTION_WINDOW_BYTES and run again.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { connect, type ClientHttp2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { startFront } from '../src/server/front.js';
import { CONNECTION_WINDOW_BYTES, STREAM_WINDOW_BYTES } from '../src/server/h2-sessions.js';
import { FrontMetrics } from '../src/server/metrics.js';
import { servingConfig } from '../test/fixtures/serving-config.js';
import { buildTestPki } from '../test/unit/tls/pki-openssl.js';

const PARALLEL = (process.env.H2_PARALLEL ?? '1,2,4,8').split(',').map(Number);
const ROUNDS = Number(process.env.H2_ROUNDS ?? 5);
const BODY = randomBytes(15 * 1024 * 1024);

function upload(session: ClientHttp2Session): Promise<string | undefined> {
  return new Promise((resolve) => {
    const stream = session.request({ ':method': 'POST', ':path': '/', 'content-length': BODY.length });
    stream.resume();
    stream.on('end', () => resolve(undefined));
    stream.on('error', (err: NodeJS.ErrnoException) => resolve(`${err.code} (rst ${String(stream.rstCode)})`));
    stream.end(BODY);
  });
}

function openSession(port: number, pki: { caPem: string; good: { cert: string; key: string } }): ClientHttp2Session {
  const session = connect(`https://127.0.0.1:${port}`, { ca: pki.caPem, cert: pki.good.cert, key: pki.good.key });
  session.on('error', () => undefined);
  return session;
}

async function main(): Promise<void> {
  const pki = buildTestPki();
  const engine = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  await new Promise<void>((r) => engine.listen(0, '127.0.0.1', r));
  const front = await startFront({
    config: servingConfig(`http://127.0.0.1:${(engine.address() as AddressInfo).port}`, {
      serverName: 'bench',
      maxContentLengthKb: 65536,
      engineTimeoutMs: 30000,
      http2: true,
      accessLog: false,
    }),
    material: { caPem: pki.caPem, certPem: pki.server.cert, keyPem: pki.server.key },
    logger: pino({ level: 'warn' }),
    metrics: new FrontMetrics({ serverName: 'bench' }),
  });
  console.log(`windows: ${STREAM_WINDOW_BYTES} per stream, ${CONNECTION_WINDOW_BYTES} per connection`);
  // One session for the whole run, as a client keeps its session; a new one after a break-off.
  let session = openSession(front.port, pki);
  try {
    // A first upload alone, as a client's first request.
    await upload(session);
    for (const parallel of PARALLEL) {
      const rates: number[] = [];
      const failures: string[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const t0 = performance.now();
        const outcomes = await Promise.all(Array.from({ length: parallel }, () => upload(session)));
        const seconds = (performance.now() - t0) / 1000;
        const failed = outcomes.filter((o) => o !== undefined) as string[];
        failures.push(...failed);
        if (failed.length === 0) rates.push((parallel * 15) / seconds);
        else {
          session.destroy();
          session = openSession(front.port, pki);
        }
      }
      rates.sort((a, b) => a - b);
      const median = rates.length === 0 ? 'n/a' : `${Math.round(rates[Math.floor(rates.length / 2)] as number)} MB/s`;
      console.log(
        `${parallel} x 15 MB: ${rates.length}/${ROUNDS} rounds whole, median ${median}` +
          (failures.length === 0 ? '' : `; broken off: ${failures.join(', ')}`),
      );
    }
  } finally {
    session.destroy();
    await front.shutdown(1000);
    engine.close();
    pki.cleanup();
  }
}

await main();
