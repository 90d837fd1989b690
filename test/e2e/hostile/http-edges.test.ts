// run.sh end to end with clients that do what HTTP allows and libraries hide: wait for 100
// Continue, upload a whole over-limit body before reading, pipeline behind Connection: close,
// send duplicate Host, too many fields, CONNECT, absolute-form targets, ALPN http/1.0, TLS 1.2
// without a certificate. Each asserts what the client reads and what the engine received.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { clientOptions, startFrontProcess, type FrontProcess } from '../../fixtures/front-process.js';
import { buildInferBody } from '../../fixtures/load.js';
import { INFER_PATH } from '../front/client.js';
import { exchange, parseAnswers } from './raw-client.js';

const MAX_CONTENT_KB = 1024;
const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

let front: FrontProcess;

before(async () => {
  front = await startFrontProcess({ config: { max_content_length: String(MAX_CONTENT_KB) } });
});

after(async () => {
  await front?.stop();
});

function post(body: Buffer, extra = ''): string {
  return `POST ${INFER_PATH} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n${extra}\r\n`;
}

describe('e2e hostile: Expect: 100-continue', () => {
  it('a client that waits for 100 Continue is told to continue, and the engine gets its exact body', async () => {
    const body = Buffer.from(buildInferBody(randomBytes(300 * 1024)));
    await front.engine.clearRequests();
    const out = await exchange(front.port, {
      tls: clientOptions(front.pki, 'good'),
      head: post(body, 'Expect: 100-continue\r\nConnection: close\r\n'),
      body,
      waitForContinue: true,
    });
    const answers = parseAnswers(out.received);
    assert.deepEqual(
      answers.map((a) => a.status),
      [100, 200],
    );
    const seen = await front.engine.requests();
    assert.equal(seen.length, 1);
    assert.equal(seen[0]?.bodySha256, sha256(body));
    assert.equal(seen[0]?.headers.expect, undefined, 'Expect is answered by the front, not forwarded');
  });

  it('an over-limit or refused upload gets its final answer instead of 100, and nothing is sent', async () => {
    const big = Buffer.alloc(MAX_CONTENT_KB * 1024 + 1, 0x61);
    await front.engine.clearRequests();
    const tooLarge = await exchange(front.port, {
      tls: clientOptions(front.pki, 'good'),
      head: post(big, 'Expect: 100-continue\r\n'),
      body: big,
      waitForContinue: true,
    });
    assert.deepEqual(
      parseAnswers(tooLarge.received).map((a) => a.status),
      [413],
    );
    const small = Buffer.from('{}');
    const noCert = await exchange(front.port, {
      tls: clientOptions(front.pki, 'none'),
      head: post(small, 'Expect: 100-continue\r\n'),
      body: small,
      waitForContinue: true,
    });
    const refused = parseAnswers(noCert.received);
    assert.deepEqual(
      refused.map((a) => a.status),
      [400],
    );
    assert.match(refused[0]?.body ?? '', /"reason":"no-certificate"/);
    assert.deepEqual(await front.engine.requests(), []);
  });
});

describe('e2e hostile: answers before the body was read', () => {
  it('a client that uploads a whole over-limit body before reading reads the 413, and may go on', async () => {
    const big = Buffer.alloc(3 * MAX_CONTENT_KB * 1024, 0x61);
    const ok = Buffer.from(buildInferBody(Buffer.from('hello')));
    await front.engine.clearRequests();
    // Head, the whole body, then a second request on the same connection: the kind of client
    // that got EPIPE when the front closed on the unread body.
    const head = Buffer.concat([Buffer.from(post(big)), big, Buffer.from(post(ok, 'Connection: close\r\n')), ok]);
    const out = await exchange(front.port, { tls: clientOptions(front.pki, 'good'), head });
    assert.equal(out.error, undefined, `transport error ${out.error?.code ?? ''}`);
    assert.deepEqual(
      parseAnswers(out.received).map((a) => a.status),
      [413, 200],
    );
    assert.deepEqual(
      (await front.engine.requests()).map((r) => r.bodySha256),
      [sha256(ok)],
      'only the request within the limit reached the engine',
    );
  });

  it('an HTTP/1.0 client, and one that says Connection: close, upload a whole over-limit body and read the 413', async () => {
    // Large enough that the client is still writing when an answer-and-close would come.
    const big = Buffer.alloc(24 * MAX_CONTENT_KB * 1024, 0x61);
    await front.engine.clearRequests();
    for (const head of [
      `POST ${INFER_PATH} HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: ${big.length}\r\n\r\n`,
      post(big, 'Connection: close\r\n'),
    ]) {
      // Node closes these connections right after the answer: the body must be read first.
      const out = await exchange(front.port, {
        tls: clientOptions(front.pki, 'good'),
        head: Buffer.concat([Buffer.from(head), big]),
      });
      assert.equal(out.error, undefined, `${head.split('\r\n')[0]}: transport error ${out.error?.code ?? ''}`);
      assert.deepEqual(
        parseAnswers(out.received).map((a) => a.status),
        [413],
        head.split('\r\n')[0],
      );
    }
    assert.deepEqual(await front.engine.requests(), []);
  });

  it('a chunked upload over the limit, sent whole before reading, reads the 413', async () => {
    const piece = Buffer.alloc(64 * 1024, 0x62);
    const chunks: Buffer[] = [];
    for (let sent = 0; sent <= 2 * MAX_CONTENT_KB * 1024; sent += piece.length)
      chunks.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'));
    chunks.push(Buffer.from('0\r\n\r\n'));
    const head = Buffer.concat([
      Buffer.from(
        `POST ${INFER_PATH} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`,
      ),
      ...chunks,
    ]);
    const out = await exchange(front.port, { tls: clientOptions(front.pki, 'good'), head });
    assert.equal(out.error, undefined, `transport error ${out.error?.code ?? ''}`);
    assert.deepEqual(
      parseAnswers(out.received).map((a) => a.status),
      [413],
    );
  });

  it('a refused client uploading 2 MB reads why (TLS 1.2 and 1.3), and the connection closes', async () => {
    const body = Buffer.alloc(2 * 1024 * 1024, 0x63);
    for (const maxVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
      const out = await exchange(front.port, {
        tls: { ...clientOptions(front.pki, 'expired'), maxVersion },
        head: Buffer.concat([Buffer.from(post(body)), body]),
      });
      assert.equal(out.protocol, maxVersion, 'the handshake finished');
      assert.equal(out.error, undefined, `${maxVersion}: transport error ${out.error?.code ?? ''}`);
      const answers = parseAnswers(out.received);
      assert.deepEqual(
        answers.map((a) => a.status),
        [400],
        maxVersion,
      );
      assert.match(answers[0]?.body ?? '', /"reason":"expired"/);
    }
  });
});

describe('e2e hostile: HTTP/1.x edges', () => {
  const tls = (): ReturnType<typeof clientOptions> => clientOptions(front.pki, 'good');

  it("answers pipelined requests in order before closing on a Connection: close one followed by more bytes, with each answer's bytes logged", async () => {
    await front.engine.clearRequests();
    const get = (id: string, extra = ''): string =>
      `GET /v2/ready HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: ${id}\r\n${extra}\r\n`;
    const out = await exchange(front.port, {
      tls: tls(),
      head: get('pipe-1') + get('pipe-2') + get('pipe-3', 'Connection: close\r\n') + 'NOT HTTP AT ALL\r\n\r\n',
    });
    const answers = parseAnswers(out.received);
    assert.deepEqual(
      answers.map((a) => a.status),
      [200, 200, 200],
    );
    assert.deepEqual(
      answers.map((a) => a.headers['x-request-id']),
      ['pipe-1', 'pipe-2', 'pipe-3'],
    );
    // The access log's bytes are what each answer took on the wire.
    const logged = await Promise.all(
      ['pipe-1', 'pipe-2', 'pipe-3'].map((id) => front.waitForLog((l) => l.msg === 'request' && l.requestId === id)),
    );
    assert.deepEqual(
      logged.map((l) => l.bytes),
      answers.map((a) => a.bytes),
    );
  });

  it('refuses a second Host (400) and more than max_header_fields fields (431); nothing reaches the engine', async () => {
    await front.engine.clearRequests();
    const dup = parseAnswers(
      (await exchange(front.port, { tls: tls(), head: 'GET /v2/ready HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n' }))
        .received,
    );
    assert.deepEqual(
      dup.map((a) => a.status),
      [400],
    );
    const fields = (n: number): string => Array.from({ length: n }, (_, i) => `X-F${i}: v\r\n`).join('');
    const tooMany = parseAnswers(
      (await exchange(front.port, { tls: tls(), head: `GET /v2/ready HTTP/1.1\r\nHost: a\r\n${fields(100)}\r\n` }))
        .received,
    );
    assert.deepEqual(
      tooMany.map((a) => a.status),
      [431],
      '101 fields with Host',
    );
    assert.deepEqual(await front.engine.requests(), []);
    const fits = parseAnswers(
      (
        await exchange(front.port, {
          tls: tls(),
          head: `GET /v2/ready HTTP/1.1\r\nHost: a\r\n${fields(98)}Connection: close\r\n\r\n`,
        })
      ).received,
    );
    assert.deepEqual(
      fits.map((a) => a.status),
      [200],
      '100 fields',
    );
    assert.equal((await front.engine.requests())[0]?.headers['x-f97'], 'v', 'the last field reached the engine');
  });

  it('answers CONNECT with 405 and takes an absolute-form target', async () => {
    const connectOut = parseAnswers(
      (await exchange(front.port, { tls: tls(), head: 'CONNECT 127.0.0.1:80 HTTP/1.1\r\nHost: 127.0.0.1:80\r\n\r\n' }))
        .received,
    );
    assert.deepEqual(
      connectOut.map((a) => a.status),
      [405],
    );
    await front.engine.clearRequests();
    const absolute = parseAnswers(
      (
        await exchange(front.port, {
          tls: tls(),
          head: `GET https://localhost:${front.port}/v2/ready HTTP/1.1\r\nHost: other\r\nConnection: close\r\n\r\n`,
        })
      ).received,
    );
    assert.deepEqual(
      absolute.map((a) => [a.status, a.body]),
      [[200, '{"isReady":true}']],
    );
    assert.equal((await front.engine.requests())[0]?.path, '/v2/ready');
  });

  it('serves a client that offers only ALPN http/1.0', async () => {
    const out = await exchange(front.port, {
      tls: { ...tls(), ALPNProtocols: ['http/1.0'] },
      head: 'GET /v2/ready HTTP/1.0\r\nHost: localhost\r\n\r\n',
    });
    assert.equal(out.alpn, 'http/1.0');
    assert.match(out.received, /^HTTP\/1\.1 200 /);
  });
});
