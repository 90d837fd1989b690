// /readyz's verdict for a worker group: ready only while at least one serving worker listens,
// and the body says how many of how many do.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildReadinessCheck, type ReadinessSources } from '../../../src/server/readiness.js';

function sources(workers?: ReadinessSources['workers']): ReadinessSources {
  return {
    reload: () => ({ isStale: false, lastGoodLoadAt: new Date(0) }),
    front: {
      material: { serverCert: { serial: '0A' }, ca: { serial: '01' } },
      crlStatus: { hasCrl: false, entries: 0, isExpired: false, isRefusingAll: false },
    },
    engine: { probe: async () => ({ state: 'ready', seconds: 0.001 }), close: async () => {} },
    ...(workers === undefined ? {} : { workers }),
  };
}

describe('readiness of a worker group', () => {
  it('is ready with a worker serving, and shows the count', async () => {
    const result = await buildReadinessCheck(sources(() => ({ serving: 1, configured: 2 })))();
    assert.equal(result.ready, true);
    assert.deepEqual(result.details.workers, { serving: 1, of: 2 });
  });

  it('is not ready while no worker listens (all being replaced), engine ready or not', async () => {
    const result = await buildReadinessCheck(sources(() => ({ serving: 0, configured: 2 })))();
    assert.equal(result.ready, false);
    assert.deepEqual(result.details.workers, { serving: 0, of: 2 });
    assert.equal(result.details.engine, 'ready');
  });

  it('a single process (no workers source) has no workers field', async () => {
    const result = await buildReadinessCheck(sources())();
    assert.equal(result.ready, true);
    assert.equal('workers' in result.details, false);
  });
});
