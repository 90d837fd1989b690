// The rename-over rotations again with workers=2: each change is loaded and checked once by the
// primary and must be live in both serving workers within the promised second, under load, with
// no failed request; after a revoking CRL every fresh connection of the victim is refused,
// whichever worker takes it (round-robin spreads consecutive connections over both).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ClientTlsOptions } from '../../fixtures/front-process.js';
import type { Pki } from '../../fixtures/pki.js';
import { clientTls, frontMsSince, isServedFresh, PROMISED_LIVE_MS, renameOver, summarize } from './rotation-kit.js';
import { runRotations } from './rotation-scenario.js';

/** Fresh connections probed after each CRL: several, so both workers answer some of them. */
const PROBES = 6;

test('workers=2, rename over, under load: every change live in every worker within 1 s, no failed request', {
  timeout: 300_000,
}, async (t) => {
  let victim: ClientTlsOptions | undefined;
  const appliedMs: number[] = [];
  await runRotations(t, {
    name: 'rename over, workers=2',
    frontOptions: { config: { workers: '2' } },
    async setup(_front, pki: Pki) {
      victim = clientTls(pki, 'goodEc');
    },
    placeCrl: (front, crl) => renameOver(join(front.runDir, 'keys', 'ca.crl'), crl),
    async placePair(front, pair) {
      await renameOver(join(front.runDir, 'keys', 'server.crt'), pair.cert);
      await renameOver(join(front.runDir, 'keys', 'server.key'), pair.key);
    },
    placeCa: (front, ca) => renameOver(join(front.runDir, 'keys', 'ca.crt'), ca.cert),
    async afterChange(front, placed, change) {
      const ms = await frontMsSince(front, placed, (l) => l.event === 'workers_applied');
      assert.ok(ms <= PROMISED_LIVE_MS, `${change}: every worker serving it ${ms} ms after it was in place`);
      appliedMs.push(ms);
      if (change !== 'crl-revoke' && change !== 'crl-spare') return;
      const who = victim as ClientTlsOptions;
      const served: boolean[] = [];
      for (let i = 0; i < PROBES; i++) served.push(await isServedFresh(front.port, who));
      const expected = served.map(() => change === 'crl-spare');
      assert.deepEqual(served, expected, `${change}: the victim on ${PROBES} fresh connections`);
    },
  });
  t.diagnostic(`files in place -> new material serving in both workers (workers_applied): ${summarize(appliedMs)}`);
});
