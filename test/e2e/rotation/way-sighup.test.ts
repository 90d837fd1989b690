// Way 5: put the files in place, then `kill -HUP <pid>` to load them at once.
import { join } from 'node:path';
import { test } from 'node:test';
import { renameOver } from './rotation-kit.js';
import { runRotations } from './rotation-scenario.js';

test('way 5: files in place then SIGHUP, under load: every rotation live within 1 s (front commit), no failed request', {
  timeout: 240_000,
}, async (t) => {
  await runRotations(t, {
    name: 'SIGHUP',
    async placeCrl(front, crl) {
      await renameOver(join(front.runDir, 'keys', 'ca.crl'), crl);
      front.signal('SIGHUP');
    },
    async placePair(front, pair) {
      await renameOver(join(front.runDir, 'keys', 'server.crt'), pair.cert);
      await renameOver(join(front.runDir, 'keys', 'server.key'), pair.key);
      front.signal('SIGHUP');
    },
    async placeCa(front, ca) {
      await renameOver(join(front.runDir, 'keys', 'ca.crt'), ca.cert);
      front.signal('SIGHUP');
    },
  });
});
