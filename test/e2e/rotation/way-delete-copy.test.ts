// Way 1, the native StreamServer's: delete the file in keys/, copy the new one in, chmod 0400.
import { join } from 'node:path';
import { test } from 'node:test';
import { deleteAndCopy } from './rotation-kit.js';
import { runRotations } from './rotation-scenario.js';

test('way 1: delete and copy in, under load: every rotation live within 1 s (front commit), no failed request', {
  timeout: 240_000,
}, async (t) => {
  await runRotations(t, {
    name: 'delete + copy',
    placeCrl: (front, crl) => deleteAndCopy(join(front.runDir, 'keys', 'ca.crl'), crl),
    async placePair(front, pair) {
      // The certificate lands before its key: for a moment the pair does not match.
      await deleteAndCopy(join(front.runDir, 'keys', 'server.crt'), pair.cert);
      await deleteAndCopy(join(front.runDir, 'keys', 'server.key'), pair.key);
    },
    placeCa: (front, ca) => deleteAndCopy(join(front.runDir, 'keys', 'ca.crt'), ca.cert),
  });
});
