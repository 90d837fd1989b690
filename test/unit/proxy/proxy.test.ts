// The proxy's pure rules: which headers reach the engine, how engine faults are answered,
// the body limit for chunked uploads, and which request ids are kept.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { buildDownstreamHeaders, buildUpstreamHeaders, isSpoofable } from '../../../src/proxy/headers.js';
import { mapEngineError } from '../../../src/proxy/engine-errors.js';
import { buildCountingLimit, isDeclaredTooLarge } from '../../../src/proxy/body-limit.js';
import { parseRequestId } from '../../../src/proxy/request-id.js';
import { isClimbingTarget } from '../../../src/proxy/engine-target.js';

const identity = {
  serial: '1A',
  subject: 'CN=a',
  xfcc: 'Hash=00;Subject="CN=a"',
  issuerKey: 'cn=ca',
  serialKey: undefined,
  serialHash: 0,
  chain: [],
};

describe('proxy headers', () => {
  it('removes hop-by-hop and forgeable identity headers, then sets our own', () => {
    const out = buildUpstreamHeaders(
      {
        host: 'x',
        'keep-alive': '1',
        te: 'trailers',
        'x-forwarded-client-cert': 'Hash=evil',
        'x-forwarded-host': 'evil',
        forwarded: 'for=1.2.3.4',
        'x-real-ip': '1.2.3.4',
        'ssl-client-subject-dn': 'CN=root',
        'x-ssl-client-cert': 'x',
        'content-type': 'image/jpeg',
      },
      identity,
      '127.0.0.1',
      'rid',
    );
    assert.deepEqual(out, {
      'content-type': 'image/jpeg',
      'x-forwarded-client-cert': identity.xfcc,
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-proto': 'https',
      'x-request-id': 'rid',
    });
  });

  it('drops what the client lists in Connection, h2 pseudo-headers and Host, which undici sets to the engine', () => {
    const out = buildUpstreamHeaders(
      {
        ':method': 'POST',
        ':path': '/x',
        ':authority': 'front.example',
        host: 'front.example',
        connection: 'keep-alive, X-Secret',
        'x-secret': 'drop me',
        'x-kept': 'keep me',
      },
      undefined,
      undefined,
      'rid',
    );
    assert.deepEqual(out, { 'x-kept': 'keep me', 'x-forwarded-proto': 'https', 'x-request-id': 'rid' });
  });

  it('keeps ordinary headers', () => {
    for (const name of ['authorization', 'content-length', 'accept', 'x-custom'])
      assert.equal(isSpoofable(name), false, name);
  });

  it('drops hop-by-hop and Connection-listed headers from the engine answer and sets the request id', () => {
    const out = buildDownstreamHeaders(
      { connection: 'close, x-secret', 'x-secret': '1', 'keep-alive': 'timeout=5', 'content-type': 'application/json' },
      'rid',
    );
    assert.deepEqual(out, { 'content-type': 'application/json', 'x-request-id': 'rid' });
  });
});

describe('engine errors', () => {
  it('maps refused and reset to 502 and timeouts to 504, hiding internals', () => {
    const wrap = (code: string): Error =>
      Object.assign(new Error('Internal'), {
        cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8080'), { code }),
      });
    assert.equal(mapEngineError(wrap('ECONNREFUSED')).status, 502);
    assert.equal(mapEngineError(wrap('ECONNRESET')).status, 502);
    assert.equal(mapEngineError(wrap('UND_ERR_SOCKET')).status, 502);
    assert.equal(mapEngineError(wrap('UND_ERR_HEADERS_TIMEOUT')).status, 504);
    // undici's own errors arrive unwrapped.
    assert.equal(mapEngineError(Object.assign(new Error('x'), { code: 'UND_ERR_BODY_TIMEOUT' })).status, 504);
    assert.doesNotMatch(mapEngineError(wrap('ECONNREFUSED')).body, /127\.0\.0\.1|8080|ECONN/);
    // Only the engine's failures are blamed on the engine.
    assert.equal(mapEngineError(wrap('ECONNRESET')).blame, 'engine');
    const refusedByClient = mapEngineError(wrap('UND_ERR_NOT_SUPPORTED'));
    assert.deepEqual([refusedByClient.status, refusedByClient.blame], [500, 'front']);
    assert.doesNotMatch(refusedByClient.body, /engine/);
    const cut = mapEngineError(wrap('ECONNRESET'), true);
    assert.deepEqual([cut.status, cut.blame], [400, 'client']);
  });
});

describe('body limit', () => {
  it('refuses a declared Content-Length over the limit only', () => {
    assert.equal(isDeclaredTooLarge('1025', 1024), true);
    assert.equal(isDeclaredTooLarge('1024', 1024), false);
    assert.equal(isDeclaredTooLarge(undefined, 1024), false);
  });

  it('fails a chunked body once it passes the limit, and passes one at the limit', async () => {
    let tripped = false;
    await assert.rejects(
      pipeline(
        Readable.from([Buffer.alloc(600), Buffer.alloc(600)]),
        buildCountingLimit(1024, () => (tripped = true)),
        async function* (s) {
          for await (const _ of s) yield _;
        },
      ),
      { code: 'FRONT_BODY_TOO_LARGE' },
    );
    assert.equal(tripped, true);
    const seen: Buffer[] = [];
    await pipeline(
      Readable.from([Buffer.alloc(512), Buffer.alloc(512)]),
      buildCountingLimit(1024, () => assert.fail('tripped')),
      async (s: AsyncIterable<Buffer>) => {
        for await (const c of s) seen.push(c);
      },
    );
    assert.equal(Buffer.concat(seen).length, 1024);
  });
});

describe('request id and upstream', () => {
  it('keeps short plain ids, refuses others', () => {
    assert.equal(parseRequestId('abc-1.2:3_4'), 'abc-1.2:3_4');
    assert.equal(parseRequestId('a b'), undefined);
    assert.equal(parseRequestId('x'.repeat(129)), undefined);
    assert.equal(parseRequestId(['a', 'b']), undefined);
  });

  it('refuses a target with a .. segment however it is spelled, and only those', () => {
    for (const url of ['/a/../b', '/..', '/a/%2e%2e/b', '/a/%2E%2E%2Fb', '/a/..%5Cb', '/a\\..\\b', '/a/%zz'])
      assert.equal(isClimbingTarget(url), true, url);
    for (const url of ['/v2/models/m/infer', '/a/...b', '/a/..b', '/a.b/c.d', '/x?next=../y', '/m%2Fx'])
      assert.equal(isClimbingTarget(url), false, url);
  });
});
