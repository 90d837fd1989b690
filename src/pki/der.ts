// A minimal DER walker over a Buffer: reads tag/length headers in place, never builds a tree,
// so a 100,000-entry CRL is walked in a few tens of milliseconds.
export interface Tlv {
  tag: number;
  start: number;
  bodyStart: number;
  end: number;
}

export class DerError extends Error {}

export function readTlv(buf: Uint8Array, pos: number, limit = buf.length): Tlv {
  return readTlvInto(buf, pos, limit, { tag: 0, start: 0, bodyStart: 0, end: 0 });
}

/**
 * readTlv into a record the caller reuses: the CRL walk reads three headers per revoked entry,
 * and a million entries must not cost three million short-lived objects. Returns `out`.
 */
export function readTlvInto(buf: Uint8Array, pos: number, limit: number, out: Tlv): Tlv {
  if (pos + 2 > limit) throw new DerError(`truncated DER at offset ${pos}`);
  const first = buf[pos + 1] as number;
  let len = first;
  let bodyStart = pos + 2;
  if (first & 0x80) {
    const n = first & 0x7f;
    if (n === 0 || n > 4) throw new DerError(`unsupported DER length at offset ${pos}`);
    // The length octets themselves must be inside the container: reading past it gave a NaN
    // end that no later check caught (found by test/unit/property/pki.test.ts).
    if (pos + 2 + n > limit) throw new DerError(`truncated DER at offset ${pos}`);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[pos + 2 + i] as number);
    bodyStart += n;
  }
  const end = bodyStart + len;
  if (end > limit) throw new DerError(`DER value overruns its container at offset ${pos}`);
  out.tag = buf[pos] as number;
  out.start = pos;
  out.bodyStart = bodyStart;
  out.end = end;
  return out;
}

/** The direct children of a constructed value. */
export function children(buf: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let pos = parent.bodyStart; pos < parent.end; ) {
    const t = readTlv(buf, pos, parent.end);
    out.push(t);
    pos = t.end;
  }
  return out;
}

export function expectTag(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (t === undefined || t.tag !== tag) throw new DerError(`expected ${what}`);
  return t;
}

export function decodeOid(buf: Uint8Array, t: Tlv): string {
  const parts: number[] = [];
  let v = 0;
  for (let i = t.bodyStart; i < t.end; i++) {
    const b = buf[i] as number;
    v = v * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      if (parts.length === 0) parts.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

/** UTCTime (0x17) or GeneralizedTime (0x18), Z form, to a Date. */
export function decodeTime(buf: Uint8Array, t: Tlv): Date {
  const s = Buffer.from(buf.subarray(t.bodyStart, t.end)).toString('latin1');
  let m: RegExpExecArray | null;
  if (t.tag === 0x17 && (m = /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s))) {
    const yy = Number(m[1]);
    return new Date(
      Date.UTC(
        yy < 50 ? 2000 + yy : 1900 + yy,
        Number(m[2]) - 1,
        Number(m[3]),
        Number(m[4]),
        Number(m[5]),
        Number(m[6]),
      ),
    );
  }
  if (t.tag === 0x18 && (m = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(s))) {
    return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
  }
  throw new DerError(`unsupported time value '${s}'`);
}
