// A raw HTTP/2 client for the cases well-behaved clients never produce: more streams than the
// server allows, header blocks in many CONTINUATION frames, a block that never ends. It writes
// frames by hand (HPACK literals, no compression) and records every frame the server sends.
import { connect as tlsConnect, type TLSSocket } from 'node:tls';

export const FRAME = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, GOAWAY: 7, CONTINUATION: 9 } as const;
const END_STREAM = 0x1;
const ACK = 0x1;
const END_HEADERS = 0x4;
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
/** The frame size every peer must accept (RFC 9113 4.2); the front keeps the default. */
export const MAX_FRAME_BYTES = 16_384;

export interface Frame {
  readonly type: number;
  readonly flags: number;
  readonly streamId: number;
  readonly payload: Buffer;
}

export function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head.writeUInt8(type, 3);
  head.writeUInt8(flags, 4);
  head.writeUInt32BE(streamId, 5);
  return Buffer.concat([head, payload]);
}

/** RFC 7541 5.1: an integer with an n-bit prefix (the prefix bits of the first byte are 0 here). */
function hpackInteger(value: number, prefixBits: number): Buffer {
  const max = (1 << prefixBits) - 1;
  if (value < max) return Buffer.from([value]);
  const bytes = [max];
  let rest = value - max;
  while (rest >= 128) {
    bytes.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

function hpackString(text: string): Buffer {
  const bytes = Buffer.from(text, 'latin1');
  return Buffer.concat([hpackInteger(bytes.length, 7), bytes]);
}

/** A header block of literal fields without indexing (RFC 7541 6.2.2): nothing for the decoder to remember. */
export function headerBlock(fields: ReadonlyArray<readonly [string, string]>): Buffer {
  return Buffer.concat(fields.flatMap(([name, value]) => [Buffer.from([0]), hpackString(name), hpackString(value)]));
}

export function requestFields(path: string, extra: ReadonlyArray<readonly [string, string]> = []) {
  return [
    [':method', 'GET'],
    [':scheme', 'https'],
    [':authority', '127.0.0.1'],
    [':path', path],
    ...extra,
  ] as ReadonlyArray<readonly [string, string]>;
}

/** A GET's HEADERS frame, then CONTINUATION frames of at most MAX_FRAME_BYTES when the block is larger. */
export function requestFrames(streamId: number, block: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  for (let at = 0; at === 0 || at < block.length; at += MAX_FRAME_BYTES) {
    const piece = block.subarray(at, at + MAX_FRAME_BYTES);
    const isLast = at + MAX_FRAME_BYTES >= block.length;
    if (at === 0) frames.push(frame(FRAME.HEADERS, END_STREAM | (isLast ? END_HEADERS : 0), streamId, piece));
    else frames.push(frame(FRAME.CONTINUATION, isLast ? END_HEADERS : 0, streamId, piece));
  }
  return frames;
}

export interface RawSession {
  readonly socket: TLSSocket;
  readonly frames: Frame[];
  /** Resolves when the server has closed the connection. */
  readonly closed: Promise<void>;
  write(data: Buffer | Buffer[]): void;
  /** Waits, polling, until `test` holds for the frames so far; throws after timeoutMs. */
  waitFor(what: string, test: (frames: readonly Frame[]) => boolean, timeoutMs?: number): Promise<void>;
}

/**
 * Opens TLS with ALPN h2, sends the preface and an empty SETTINGS, and waits for the server's
 * SETTINGS. isAcknowledging (default): they are acknowledged, so the server's limits are in force;
 * otherwise they stay pending, as for a client that writes its requests before reading anything.
 */
export function openRawSession(
  port: number,
  tls: { ca: string; cert: string; key: string },
  opts: { isAcknowledging?: boolean } = {},
): Promise<RawSession> {
  const isAcknowledging = opts.isAcknowledging ?? true;
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ...tls, ALPNProtocols: ['h2'] });
    const frames: Frame[] = [];
    let pending = Buffer.alloc(0);
    let isClosed = false;
    const closed = new Promise<void>((r) =>
      socket.once('close', () => {
        isClosed = true;
        r();
      }),
    );
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 9) {
        const length = pending.readUIntBE(0, 3);
        if (pending.length < 9 + length) break;
        const f = {
          type: pending.readUInt8(3),
          flags: pending.readUInt8(4),
          streamId: pending.readUInt32BE(5) & 0x7fffffff,
          payload: Buffer.from(pending.subarray(9, 9 + length)),
        };
        pending = pending.subarray(9 + length);
        frames.push(f);
        if (isAcknowledging && f.type === FRAME.SETTINGS && (f.flags & ACK) === 0 && !socket.destroyed)
          socket.write(frame(FRAME.SETTINGS, ACK, 0));
      }
    });
    socket.on('error', () => undefined);
    socket.once('secureConnect', () => {
      if (socket.alpnProtocol !== 'h2') {
        reject(new Error(`ALPN gave ${String(socket.alpnProtocol)}, not h2`));
        return;
      }
      socket.write(Buffer.concat([PREFACE, frame(FRAME.SETTINGS, 0, 0)]));
      const session: RawSession = {
        socket,
        frames,
        closed,
        write: (data) => {
          if (!socket.destroyed) socket.write(Array.isArray(data) ? Buffer.concat(data) : data);
        },
        waitFor: async (what, test, timeoutMs = 20_000) => {
          const deadline = Date.now() + timeoutMs;
          while (!test(frames)) {
            if (Date.now() > deadline || (isClosed && !test(frames)))
              throw new Error(
                `${what}: not seen in ${timeoutMs} ms (closed: ${isClosed}); frames: ${describe(frames)}`,
              );
            await new Promise((r) => setTimeout(r, 20));
          }
        },
      };
      // The server's SETTINGS first, acknowledged: its limits are then in force.
      session
        .waitFor('server SETTINGS', (fs) => fs.some((f) => f.type === FRAME.SETTINGS && (f.flags & ACK) === 0))
        .then(() => resolve(session), reject);
    });
    socket.once('error', reject);
  });
}

function describe(frames: readonly Frame[]): string {
  const counts = new Map<string, number>();
  for (const f of frames) counts.set(String(f.type), (counts.get(String(f.type)) ?? 0) + 1);
  const resets = frames
    .filter((f) => f.type === FRAME.RST_STREAM || f.type === FRAME.GOAWAY)
    .slice(0, 5)
    .map(
      (f) =>
        `${f.type === FRAME.GOAWAY ? 'GOAWAY' : 'RST'} stream ${f.streamId} code ${f.payload.readUInt32BE(f.type === FRAME.GOAWAY ? 4 : 0)}`,
    );
  return `${JSON.stringify(Object.fromEntries(counts))} ${resets.join(', ')}`;
}

/** The error code of the stream's RST_STREAM, if the server reset it. */
export function resetCodeOf(frames: readonly Frame[], streamId: number): number | undefined {
  const rst = frames.find((f) => f.type === FRAME.RST_STREAM && f.streamId === streamId);
  return rst?.payload.readUInt32BE(0);
}

/** True once the stream's answer has ended (a HEADERS or DATA frame with END_STREAM). */
export function isAnswered(frames: readonly Frame[], streamId: number): boolean {
  return frames.some(
    (f) =>
      f.streamId === streamId && (f.type === FRAME.DATA || f.type === FRAME.HEADERS) && (f.flags & END_STREAM) !== 0,
  );
}

/** The GOAWAY's error code, if the server sent one. */
export function goawayCodeOf(frames: readonly Frame[]): number | undefined {
  return frames.find((f) => f.type === FRAME.GOAWAY)?.payload.readUInt32BE(4);
}

export const H2_ERROR = { NO_ERROR: 0, PROTOCOL_ERROR: 1, REFUSED_STREAM: 7, ENHANCE_YOUR_CALM: 11 } as const;
