import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { engineRouteLabel } from '../../../src/proxy/route-label.js';

describe('engine route labels for metrics', () => {
  it('names the engine API patterns with the model or stream name replaced', () => {
    assert.equal(engineRouteLabel('/v2/models/resnet50/infer'), '/v2/models/:name/infer');
    assert.equal(engineRouteLabel('/v2/streams/camera-1/infer'), '/v2/streams/:name/infer');
    assert.equal(engineRouteLabel('/v2/models/m/ready'), '/v2/models/:name/ready');
    assert.equal(engineRouteLabel('/v2/streams/s/config'), '/v2/streams/:name/config');
    assert.equal(engineRouteLabel('/v2/ready'), '/v2/ready');
    assert.equal(engineRouteLabel('/v2/live'), '/v2/live');
  });

  it('puts every other path under one label, so clients cannot grow the series', () => {
    const labels = new Set(
      ['/x', '/v2/models/a/b/infer', '/v2/models//infer', '/v2/things/m/infer', `/${'a'.repeat(200)}`].map(
        engineRouteLabel,
      ),
    );
    assert.deepEqual([...labels], ['other']);
  });
});
