// The pure parts of the HTTP/2 set-up: the ALPN list as the TLS server sends it, the session
// limits derived from the HTTP/1 ones, and the per-stream header rules (pseudo-headers apart).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { findStreamHeaderProblem } from '../../../src/server/http-edges.js';
import {
  ALPN_WITH_H2,
  alpnWireFormat,
  buildHttp2Options,
  MAX_CONCURRENT_STREAMS,
  STREAM_WINDOW_BYTES,
} from '../../../src/server/h2-sessions.js';

describe('h2 sessions', () => {
  it('offers h2 first and keeps http/1.1 and http/1.0, in the wire format of RFC 7301', () => {
    assert.deepEqual(ALPN_WITH_H2, ['h2', 'http/1.1', 'http/1.0']);
    assert.deepEqual(
      alpnWireFormat(ALPN_WITH_H2),
      Buffer.concat([
        Buffer.from([2]),
        Buffer.from('h2'),
        Buffer.from([8]),
        Buffer.from('http/1.1'),
        Buffer.from([8]),
        Buffer.from('http/1.0'),
      ]),
    );
  });

  it('derives the session limits from max_header_size_kb and max_header_fields', () => {
    const small = buildHttp2Options({ maxHeaderSizeKb: 16, maxHeaderFields: 100 });
    assert.equal(small.allowHTTP1, true);
    assert.equal(small.settings.maxHeaderListSize, 16 * 1024);
    assert.equal(small.settings.maxConcurrentStreams, MAX_CONCURRENT_STREAMS);
    assert.equal(small.settings.initialWindowSize, STREAM_WINDOW_BYTES);
    assert.equal(small.settings.enablePush, false);
    // As many fields as a 16 KB block holds (32 octets each at least), plus the 4 pseudo-headers.
    assert.equal(small.maxHeaderListPairs, 512 + 4);
    // More fields allowed than a block could hold: one over the limit still reaches the front.
    assert.equal(buildHttp2Options({ maxHeaderSizeKb: 1, maxHeaderFields: 1000 }).maxHeaderListPairs, 1001 + 4);
  });

  it("counts a stream's fields without its pseudo-headers, and its block size with them", () => {
    const pseudo = [':method', 'GET', ':path', '/', ':scheme', 'https', ':authority', 'a'];
    const fields = (n: number): string[] => Array.from({ length: n }, (_, i) => [`x-${i}`, 'v']).flat();
    assert.equal(findStreamHeaderProblem([...pseudo, ...fields(3)], 3, 1024), undefined);
    assert.equal(findStreamHeaderProblem([...pseudo, ...fields(4)], 3, 1024)?.status, 431);
    const big = findStreamHeaderProblem([...pseudo, 'x-big', 'v'.repeat(1024)], 3, 1024);
    assert.equal(big?.status, 431);
    assert.match(big?.body ?? '', /header fields too large/);
  });
});
