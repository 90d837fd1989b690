// Reads HTTP/1.1 answers out of the byte stream a raw TLS client (openssl s_client) prints:
// interim 1xx answers skipped, bodies framed by Content-Length, chunked, or the connection's end.
// Enough for the front's answers; not a general parser (no trailers are kept, no HTTP/1.0 quirks).

export interface HttpAnswer {
  readonly status: number;
  /** Lower-case names. */
  readonly headers: ReadonlyMap<string, string>;
  readonly body: Buffer;
}

const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');

function parseHead(text: string): { status: number; headers: Map<string, string> } {
  const [statusLine = '', ...lines] = text.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (m === null) throw new Error(`not an HTTP/1.x status line: ${JSON.stringify(statusLine.slice(0, 80))}`);
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { status: Number(m[1]), headers };
}

/** The length of a complete chunked body starting at `from`, and its bytes; undefined if incomplete. */
function readChunked(buf: Buffer, from: number): { end: number; body: Buffer } | undefined {
  const parts: Buffer[] = [];
  let pos = from;
  for (;;) {
    const lineEnd = buf.indexOf(CRLF, pos);
    if (lineEnd === -1) return undefined;
    const size = parseInt(buf.subarray(pos, lineEnd).toString('latin1').split(';')[0] ?? '', 16);
    if (Number.isNaN(size)) throw new Error('bad chunk size line');
    pos = lineEnd + 2;
    if (size === 0) {
      // No trailers from the front: the last chunk is followed by the empty line.
      const end = buf.indexOf(CRLF, pos);
      return end === -1 ? undefined : { end: end + 2, body: Buffer.concat(parts) };
    }
    if (buf.length < pos + size + 2) return undefined;
    parts.push(buf.subarray(pos, pos + size));
    pos += size + 2;
  }
}

export class AnswerReader {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
  }

  /** Bytes received and not yet taken as an answer. */
  get pending(): number {
    return this.buf.length;
  }

  /**
   * Takes the next complete final answer off the stream, or undefined while it is incomplete.
   * `isEnded`: the connection is closed, so a body without framing ends here.
   */
  take(isEnded: boolean): HttpAnswer | undefined {
    for (;;) {
      const headEnd = this.buf.indexOf(HEAD_END);
      if (headEnd === -1) return undefined;
      const { status, headers } = parseHead(this.buf.subarray(0, headEnd).toString('latin1'));
      const bodyStart = headEnd + HEAD_END.length;
      if (status >= 100 && status < 200) {
        this.buf = this.buf.subarray(bodyStart);
        continue;
      }
      let end: number;
      let body: Buffer;
      const length = headers.get('content-length');
      if (/chunked/i.test(headers.get('transfer-encoding') ?? '')) {
        const chunked = readChunked(this.buf, bodyStart);
        if (chunked === undefined) return undefined;
        ({ end, body } = chunked);
      } else if (length !== undefined) {
        end = bodyStart + Number(length);
        if (this.buf.length < end) return undefined;
        body = this.buf.subarray(bodyStart, end);
      } else {
        if (!isEnded) return undefined;
        end = this.buf.length;
        body = this.buf.subarray(bodyStart);
      }
      this.buf = this.buf.subarray(end);
      return { status, headers, body };
    }
  }
}
