// Soak: closed-loop load from good clients (keep-alive and fresh connections, small and 1-5 MB
// bodies) while the CRL and the server certificate are rotated, the front's RSS, JS heap and
// open descriptors sampled. Fails on any error a good client sees, or on growth between the
// first and last third of the run. CI runs 60 s (rotations every 10 s); `npm run soak` runs
// 30 minutes (every 30 s). SOAK_SECONDS and SOAK_ROTATE_SECONDS override both; rotations every
// 0 s means none (to tell growth from rotations apart from growth under load alone), and
// SOAK_SAMPLES_FILE gets every sample as CSV.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { startClosedLoop } from '../../fixtures/closed-loop.js';
import { clientOptions, startFrontProcess } from '../../fixtures/front-process.js';
import { buildCrl, buildServerPair, buildPki, loadKey } from '../../fixtures/pki.js';
import { metricSum, scrape, sleep } from '../front/client.js';
import { renameOver } from '../rotation/rotation-kit.js';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 60);
const ROTATE_SECONDS = Number(process.env.SOAK_ROTATE_SECONDS ?? 10);
const SAMPLES_FILE = process.env.SOAK_SAMPLES_FILE;
const SAMPLE_MS = 1000;
/**
 * RSS may grow this much from the first third's mean to the last third's. Four clients with up
 * to 5 MB bodies in flight move the mean by tens of MB as V8 and the TLS buffers size
 * themselves; 48 MB sits above that noise (docs/performance.md, Soak) and below what one
 * retained 1-5 MB body per rotation, or a leaked secure context per handshake, adds in a run.
 */
const RSS_GROWTH_BOUND_MB = 48;
/** Open descriptors: the last third's peak may pass the first third's by this many (connections in flight). */
const FD_GROWTH_BOUND = 16;

interface Sample {
  at: number;
  rssMb: number;
  heapMb: number;
  /** What V8 has committed for its heap: grows apart from heapMb when its pages fragment. */
  heapTotalMb: number;
  /** Buffers and other memory V8 knows of outside its heap: request bodies, TLS records. */
  externalMb: number;
  fds: number;
}

function sampleOf(pid: number, metrics: Awaited<ReturnType<typeof scrape>>): Sample {
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return {
    at: Date.now(),
    rssMb: Number(rss?.[1]) / 1024,
    heapMb: metricSum(metrics, 'nodejs_heap_size_used_bytes') / 1048576,
    heapTotalMb: metricSum(metrics, 'nodejs_heap_size_total_bytes') / 1048576,
    externalMb: metricSum(metrics, 'nodejs_external_memory_bytes') / 1048576,
    fds: readdirSync(`/proc/${pid}/fd`).length,
  };
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

const rotating = ROTATE_SECONDS > 0 ? `through rotations every ${ROTATE_SECONDS} s` : 'without rotations';

it(`soak ${SECONDS} s: no error for good clients, bounded RSS and descriptors, ${rotating}`, {
  timeout: (SECONDS + 120) * 1000,
}, async (t) => {
  const pki = await buildPki();
  const front = await startFrontProcess({ pki, config: { max_content_length: '20480' } });
  try {
    const tls = clientOptions(pki, 'good') as { ca: Buffer; cert: Buffer; key: Buffer };
    const load = startClosedLoop({ port: front.port, tls, clients: 4, freshShare: 0.25, largeShare: 0.1 });
    const samples: Sample[] = [];
    const keys = join(front.runDir, 'keys');
    let rotations = 0;
    const end = Date.now() + SECONDS * 1000;
    let nextRotation = ROTATE_SECONDS > 0 ? Date.now() + ROTATE_SECONDS * 1000 : Number.POSITIVE_INFINITY;
    while (Date.now() < end) {
      const metrics = await scrape(front.adminPort);
      samples.push(sampleOf(front.pid, metrics));
      if (Date.now() >= nextRotation) {
        nextRotation += ROTATE_SECONDS * 1000;
        rotations++;
        // A new CRL (same revocations, fresh dates) and a new server pair under the imported
        // password, renamed in: way 1/3 of the README, the front checks and swaps both live.
        await renameOver(join(keys, 'ca.crl'), await buildCrl(pki, { revoke: [pki.clients.revoked.cert] }));
        const pair = await buildServerPair(pki);
        const key = join(pki.dir, `soak-${rotations}.key`);
        writeFileSync(
          key,
          loadKey(pair.keyPlain).export({
            type: 'pkcs8',
            format: 'pem',
            cipher: 'aes-256-cbc',
            passphrase: pki.password,
          }),
          { mode: 0o600 },
        );
        await renameOver(join(keys, 'server.key'), key);
        await renameOver(join(keys, 'server.crt'), pair.cert);
      }
      await sleep(SAMPLE_MS);
    }
    const report = await load.stop();
    const reloads = front.logLines().filter((l) => l.event === 'material_reloaded').length;
    const third = Math.max(1, Math.floor(samples.length / 3));
    const first = samples.slice(0, third);
    const last = samples.slice(-third);
    const rssGrowth = mean(last.map((s) => s.rssMb)) - mean(first.map((s) => s.rssMb));
    const fdFirst = Math.max(...first.map((s) => s.fds));
    const fdLast = Math.max(...last.map((s) => s.fds));
    const fmt = (xs: number[]): string => `${Math.min(...xs).toFixed(1)}..${Math.max(...xs).toFixed(1)}`;
    if (SAMPLES_FILE !== undefined) {
      const rows = samples.map((x) =>
        [x.at, x.rssMb, x.heapMb, x.heapTotalMb, x.externalMb, x.fds].map((v) => v.toFixed(1)).join(','),
      );
      writeFileSync(SAMPLES_FILE, `at,rss_mb,heap_mb,heap_total_mb,external_mb,fds\n${rows.join('\n')}\n`);
    }
    t.diagnostic(
      `${SECONDS} s, ${rotations} rotations (${reloads} reloads logged): ${report.ok} answered (${report.largeOk} of 1-5 MB), ${report.failed} failed, worst ${Math.round(report.worstMs)} ms, ${report.serverSerials.size} server serials seen on fresh connections`,
    );
    t.diagnostic(
      `RSS MB first third ${fmt(first.map((s) => s.rssMb))} (mean ${mean(first.map((s) => s.rssMb)).toFixed(1)}), last third ${fmt(last.map((s) => s.rssMb))} (mean ${mean(last.map((s) => s.rssMb)).toFixed(1)}), growth ${rssGrowth.toFixed(1)}; heap MB ${fmt(first.map((s) => s.heapMb))} -> ${fmt(last.map((s) => s.heapMb))} (committed ${fmt(first.map((s) => s.heapTotalMb))} -> ${fmt(last.map((s) => s.heapTotalMb))}); external MB ${fmt(first.map((s) => s.externalMb))} -> ${fmt(last.map((s) => s.externalMb))}; fds peak ${fdFirst} -> ${fdLast}`,
    );
    assert.deepEqual(report.failures, [], 'good clients saw errors');
    if (ROTATE_SECONDS > 0) {
      assert.ok(rotations >= 2 && reloads >= rotations, `${rotations} rotations, ${reloads} reloads`);
      assert.ok(report.serverSerials.size >= 2, 'fresh connections saw the rotated server certificate');
    }
    assert.ok(rssGrowth < RSS_GROWTH_BOUND_MB, `RSS grew ${rssGrowth.toFixed(1)} MB between the first and last third`);
    assert.ok(fdLast <= fdFirst + FD_GROWTH_BOUND, `open descriptors ${fdFirst} -> ${fdLast}`);
  } finally {
    await front.stop();
  }
});
