// Way 3: write the new file beside the old one and rename it over.
import { join } from 'node:path';
import { test } from 'node:test';
import { renameOver } from './rotation-kit.js';
import { runRotations } from './rotation-scenario.js';

test('way 3: rename over, under load: every rotation live within 1 s (front commit), no failed request', {
  timeout: 240_000,
}, async (t) => {
  await runRotations(t, {
    name: 'rename over',
    placeCrl: (front, crl) => renameOver(join(front.runDir, 'keys', 'ca.crl'), crl),
    async placePair(front, pair) {
      await renameOver(join(front.runDir, 'keys', 'server.crt'), pair.cert);
      await renameOver(join(front.runDir, 'keys', 'server.key'), pair.key);
    },
    placeCa: (front, ca) => renameOver(join(front.runDir, 'keys', 'ca.crt'), ca.cert),
  });
});
