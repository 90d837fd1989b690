// The pure parts of the HTTP/2 set-up: the ALPN list as the TLS server sends it, the session
// limits derived from the HTTP/1 ones, the per-stream header rules (pseudo-headers apart), and
// the header-block deadline on fake sessions with a clock the test sets.
import { EventEmitter } from 'node:events';
import type { Http2SecureServer } from 'node:http2';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { findStreamHeaderProblem } from '../../../src/server/http-edges.js';
import {
  ALPN_WITH_H2,
  alpnWireFormat,
  buildHttp2Options,
  H2Sessions,
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

/** Just what H2Sessions reads of a session: its state, GOAWAY and destroy recorded. */
class FakeSession extends EventEmitter {
  socket = {};
  closed = false;
  destroyed = false;
  state = { lastProcStreamID: 0 };
  goaways: number[] = [];
  goaway(code: number): void {
    this.goaways.push(code);
  }
  destroy(): void {
    this.destroyed = true;
  }
  close(): void {
    this.closed = true;
  }
  setLocalWindowSize(): void {}
}

function watched(): { sessions: H2Sessions; server: EventEmitter; session: FakeSession } {
  const sessions = new H2Sessions({ headerTimeoutMs: 1000 });
  const server = new EventEmitter();
  sessions.attach(server as unknown as Http2SecureServer);
  const session = new FakeSession();
  server.emit('session', session);
  return { sessions, server, session };
}

describe('h2 sessions: header_timeout_ms for a header block', () => {
  it('a block begun and not handed over within header_timeout_ms: GOAWAY ENHANCE_YOUR_CALM, then destroyed', () => {
    const { sessions, session } = watched();
    session.state.lastProcStreamID = 3;
    sessions.closeStalledBlocks(10_000);
    sessions.closeStalledBlocks(10_999);
    assert.deepEqual(session.goaways, [], 'not before header_timeout_ms');
    sessions.closeStalledBlocks(11_000);
    assert.deepEqual(session.goaways, [11]);
    assert.equal(session.destroyed, true);
    sessions.closeAll();
  });

  it('a block handed over as a stream in time, or a new block each look, is not stalled', () => {
    const { sessions, server, session } = watched();
    session.state.lastProcStreamID = 1;
    sessions.closeStalledBlocks(0);
    const stream = Object.assign(new EventEmitter(), { id: 1, session });
    server.emit('stream', stream);
    sessions.closeStalledBlocks(5000);
    session.state.lastProcStreamID = 3;
    sessions.closeStalledBlocks(5000);
    session.state.lastProcStreamID = 5;
    sessions.closeStalledBlocks(6500);
    assert.deepEqual(session.goaways, [], 'each block got its own deadline');
    // Stream 1 is still open when stream 5's block stalls: destroyed only once it has ended.
    sessions.closeStalledBlocks(7500);
    sessions.closeStalledBlocks(9000);
    assert.deepEqual(session.goaways, [11], 'one GOAWAY while its stream finishes');
    assert.equal(session.destroyed, false);
    stream.emit('close');
    assert.equal(session.destroyed, true);
    sessions.closeAll();
  });

  it('a closed session is left to close', () => {
    const { sessions, session } = watched();
    session.state.lastProcStreamID = 3;
    session.closed = true;
    sessions.closeStalledBlocks(0);
    sessions.closeStalledBlocks(5000);
    assert.deepEqual(session.goaways, []);
    sessions.closeAll();
  });
});
