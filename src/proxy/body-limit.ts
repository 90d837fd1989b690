// The body limit for proxied requests: the body goes to the engine as a raw stream,
// so Fastify's bodyLimit never applies; Content-Length is checked up front, chunked bodies counted.
import { Transform, type TransformCallback } from 'node:stream';

export class BodyTooLargeError extends Error {
  readonly code = 'FRONT_BODY_TOO_LARGE';
}

/** True when a declared Content-Length already exceeds the limit. */
export function isDeclaredTooLarge(contentLength: string | undefined, limitBytes: number): boolean {
  return contentLength !== undefined && Number(contentLength) > limitBytes;
}

class CountingLimit extends Transform {
  private seen = 0;
  constructor(
    private readonly limit: number,
    private readonly onExceeded: () => void,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.limit) {
      this.onExceeded();
      done(new BodyTooLargeError(`request body exceeds ${this.limit} bytes`));
      return;
    }
    done(null, chunk);
  }
}

/** A pass-through that fails once more than limitBytes went through (for bodies without Content-Length). */
export function buildCountingLimit(limitBytes: number, onExceeded: () => void): Transform {
  return new CountingLimit(limitBytes, onExceeded);
}
