// Certificate serials as fixed-width keys: the magnitude bytes of the DER INTEGER, leading zero
// bytes dropped, right-aligned in 20 bytes (RFC 5280 4.1.2.2 caps serials at 20 octets). Equal
// serials give equal keys whichever spelling they came in (DER, hex with or without padding).
export const SERIAL_KEY_BYTES = 20;

/**
 * Writes the serial held in src[start..end) (an INTEGER's content octets) into out at `at`.
 * Returns false when its magnitude is longer than 20 octets: RFC 5280 forbids such serials.
 */
export function writeSerialKey(src: Uint8Array, start: number, end: number, out: Uint8Array, at: number): boolean {
  let i = start;
  while (i < end && src[i] === 0) i++;
  const length = end - i;
  if (length > SERIAL_KEY_BYTES) return false;
  const pad = SERIAL_KEY_BYTES - length;
  // Byte loops, not fill/subarray: this runs once per revoked entry and must not allocate.
  for (let j = 0; j < pad; j++) out[at + j] = 0;
  for (let j = 0; j < length; j++) out[at + pad + j] = src[i + j] as number;
  return true;
}

/** The key of a serial spelled in hex ('0A:BC', '0abc'); undefined when it is not hex or too long. */
export function serialKeyFromHex(hex: string): Uint8Array | undefined {
  let digits = hex.replace(/[:\s]/g, '');
  if (!/^[0-9a-fA-F]*$/.test(digits)) return undefined;
  if (digits.length % 2 === 1) digits = `0${digits}`;
  const bytes = Buffer.from(digits, 'hex');
  const key = new Uint8Array(SERIAL_KEY_BYTES);
  return writeSerialKey(bytes, 0, bytes.length, key, 0) ? key : undefined;
}

/** The serial of a key in the spelling normalizeSerial gives (upper-case hex, no leading zeros). */
export function serialKeyToHex(keys: Uint8Array, at: number): string {
  const s = Buffer.from(keys.buffer, keys.byteOffset + at, SERIAL_KEY_BYTES)
    .toString('hex')
    .toUpperCase()
    .replace(/^0+/, '');
  return s === '' ? '0' : s;
}

/**
 * A 32-bit hash of the key at `at` (murmur3's mixing over five big-endian words). Serials are
 * often sequential, so the low bytes alone would cluster; every byte is mixed into every bit.
 */
export function hashSerialKey(keys: Uint8Array, at: number): number {
  let h = 0x9747b28c;
  for (let i = at; i < at + SERIAL_KEY_BYTES; i += 4) {
    let k =
      ((keys[i] as number) << 24) |
      ((keys[i + 1] as number) << 16) |
      ((keys[i + 2] as number) << 8) |
      (keys[i + 3] as number);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= SERIAL_KEY_BYTES;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
