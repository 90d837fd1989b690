// The HTTP/1.x corner rules as pure functions: absolute-form targets, field count, duplicate Host,
// and which client errors end the connection.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import {
  findHeaderProblem,
  handleClientError,
  headersCountSetting,
  toOriginForm,
} from '../../../src/server/http-edges.js';

function req(url: string, host = 'front'): IncomingMessage {
  return { url, headers: { host } } as unknown as IncomingMessage;
}

describe('http edges', () => {
  it('takes absolute-form targets as origin-form, with the authority as Host (RFC 9112 3.2.2)', () => {
    const r = req('https://127.0.0.1:8443/v2/models/m/infer?x=1');
    assert.equal(toOriginForm(r), '/v2/models/m/infer?x=1');
    assert.equal(r.headers.host, '127.0.0.1:8443');
    assert.equal(toOriginForm(req('HTTP://engine')), '/');
    assert.equal(toOriginForm(req('http://engine?q')), '/?q');
    const origin = req('/v2/ready');
    assert.equal(toOriginForm(origin), '/v2/ready');
    assert.equal(origin.headers.host, 'front');
    assert.equal(toOriginForm(req('*')), '*');
  });

  it('finds more fields than allowed (431) and a second Host in any case (400)', () => {
    const fields = (n: number): string[] => Array.from({ length: n }, (_, i) => [`x-${i}`, 'v']).flat();
    assert.equal(findHeaderProblem(fields(100), 100), undefined);
    assert.equal(findHeaderProblem(fields(101), 100)?.status, 431);
    assert.equal(findHeaderProblem(['Host', 'a', 'Accept', '*/*'], 100), undefined);
    assert.equal(findHeaderProblem(['Host', 'a', 'hOsT', 'b'], 100)?.status, 400);
    // Node truncates at maxHeadersCount: one above the limit makes an overflow visible.
    assert.equal(headersCountSetting(100), 101);
  });

  it('keeps the connection for bytes after a Connection: close request; answers a parse error and closes', () => {
    const kept = new PassThrough();
    handleClientError(
      Object.assign(new Error('Data after Connection: close'), { code: 'HPE_CLOSED_CONNECTION' }),
      kept,
    );
    assert.equal(kept.destroyed, false);
    const broken = new PassThrough();
    let written = '';
    broken.on('data', (c: Buffer) => (written += c.toString()));
    handleClientError(Object.assign(new Error('bad'), { code: 'HPE_INVALID_METHOD' }), broken);
    assert.equal(broken.destroyed, true);
    assert.match(written, /^HTTP\/1\.1 400 Bad Request\r\n/);
    const overflow = new PassThrough();
    let said = '';
    overflow.on('data', (c: Buffer) => (said += c.toString()));
    handleClientError(Object.assign(new Error('big'), { code: 'HPE_HEADER_OVERFLOW' }), overflow);
    assert.match(said, /^HTTP\/1\.1 431 /);
  });
});
