// The answer reader under openssl s_client: framing by Content-Length and chunked, interim
// 100 Continue skipped, answers split anywhere across reads, a body ended by the close.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AnswerReader } from './clients/http1-response.js';

function feedByteByByte(reader: AnswerReader, text: string): void {
  for (const byte of Buffer.from(text)) reader.push(Buffer.from([byte]));
}

describe('interop harness: AnswerReader', () => {
  it('reads two Content-Length answers split byte by byte, and nothing more', () => {
    const reader = new AnswerReader();
    feedByteByByte(
      reader,
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 413 Payload Too Large\r\ncontent-length: 4\r\nConnection: close\r\n\r\nbig!',
    );
    const first = reader.take(false);
    assert.equal(first?.status, 200);
    assert.equal(first?.body.toString(), 'ok');
    const second = reader.take(false);
    assert.equal(second?.status, 413);
    assert.equal(second?.headers.get('connection'), 'close');
    assert.equal(second?.body.toString(), 'big!');
    assert.equal(reader.take(false), undefined);
  });

  it('waits for the whole body before answering', () => {
    const reader = new AnswerReader();
    reader.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc'));
    assert.equal(reader.take(false), undefined);
    reader.push(Buffer.from('de'));
    assert.equal(reader.take(false)?.body.toString(), 'abcde');
  });

  it('skips 100 Continue and reads a chunked body', () => {
    const reader = new AnswerReader();
    reader.push(
      Buffer.from('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n'),
    );
    assert.equal(reader.take(false), undefined, 'the last chunk has not come');
    reader.push(Buffer.from('2;x=y\r\nde\r\n0\r\n\r\n'));
    const answer = reader.take(false);
    assert.equal(answer?.status, 200);
    assert.equal(answer?.body.toString(), 'abcde');
    assert.equal(reader.pending, 0);
  });

  it('ends an unframed body at the close, and refuses what is not HTTP', () => {
    const reader = new AnswerReader();
    reader.push(Buffer.from('HTTP/1.1 200 OK\r\n\r\nuntil the end'));
    assert.equal(reader.take(false), undefined);
    assert.equal(reader.take(true)?.body.toString(), 'until the end');
    const garbage = new AnswerReader();
    garbage.push(Buffer.from('SSH-2.0-OpenSSH\r\n\r\n'));
    assert.throws(() => garbage.take(false), /not an HTTP\/1\.x status line/);
  });
});
