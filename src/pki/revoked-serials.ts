// The revoked serials of a CRL as one flat ArrayBuffer: an open-addressing hash table of
// fixed-width serial keys. One buffer is what a worker thread can transfer without a copy, it
// costs 28 bytes per entry (a Set of hex strings cost ~250), and a lookup allocates nothing.
//
// Layout (Uint32 words, then bytes): [size, capacity, slots[capacity], keys[size * 20]].
// A slot holds 1 + the index of its key, 0 when empty; capacity is a power of two at least
// twice the entries, so probes stay short (load factor <= 0.5).
import { hashSerialKey, SERIAL_KEY_BYTES, serialKeyFromHex, serialKeyToHex, writeSerialKey } from './serial-key.js';

const HEADER_WORDS = 2;

function capacityFor(count: number): number {
  let capacity = 16;
  while (capacity < count * 2) capacity *= 2;
  return capacity;
}

/**
 * Builds the table as entries are walked: at most `maxEntries` serials, duplicates kept once
 * (a file of several CRLs may list a serial twice).
 */
export class RevokedSerialsBuilder {
  private readonly buffer: ArrayBuffer;
  private readonly slots: Uint32Array;
  private readonly keys: Uint8Array;
  private readonly mask: number;
  private readonly maxEntries: number;
  private count = 0;

  constructor(maxEntries: number) {
    const capacity = capacityFor(maxEntries);
    this.maxEntries = maxEntries;
    this.mask = capacity - 1;
    this.buffer = new ArrayBuffer((HEADER_WORDS + capacity) * 4 + maxEntries * SERIAL_KEY_BYTES);
    new Uint32Array(this.buffer, 0, HEADER_WORDS)[1] = capacity;
    this.slots = new Uint32Array(this.buffer, HEADER_WORDS * 4, capacity);
    this.keys = new Uint8Array(this.buffer, (HEADER_WORDS + capacity) * 4);
  }

  /** Adds the serial in src[start..end) (INTEGER content octets); false when it is longer than 20 octets. */
  add(src: Uint8Array, start: number, end: number): boolean {
    if (this.count >= this.maxEntries) throw new RangeError('more revoked entries than the builder was sized for');
    const at = this.count * SERIAL_KEY_BYTES;
    if (!writeSerialKey(src, start, end, this.keys, at)) return false;
    const { slots, keys, mask } = this;
    for (let slot = hashSerialKey(keys, at) & mask; ; slot = (slot + 1) & mask) {
      const entry = slots[slot] as number;
      if (entry === 0) {
        slots[slot] = ++this.count;
        return true;
      }
      const other = (entry - 1) * SERIAL_KEY_BYTES;
      let i = 0;
      while (i < SERIAL_KEY_BYTES && keys[other + i] === keys[at + i]) i++;
      if (i === SERIAL_KEY_BYTES) return true; // listed already
    }
  }

  /** The finished table. When entries were fewer than sized for, the unused tail is cut off. */
  finish(): RevokedSerials {
    new Uint32Array(this.buffer, 0, HEADER_WORDS)[0] = this.count;
    const used = (HEADER_WORDS + this.mask + 1) * 4 + this.count * SERIAL_KEY_BYTES;
    return new RevokedSerials(used === this.buffer.byteLength ? this.buffer : this.buffer.slice(0, used));
  }
}

export class RevokedSerials implements Iterable<string> {
  readonly size: number;
  readonly buffer: ArrayBuffer;
  private readonly slots: Uint32Array;
  private readonly keys: Uint8Array;
  private readonly mask: number;

  /** Wraps a buffer built by RevokedSerialsBuilder (possibly transferred from another thread). */
  constructor(buffer: ArrayBuffer) {
    const header = new Uint32Array(buffer, 0, HEADER_WORDS);
    this.size = header[0] as number;
    const capacity = header[1] as number;
    this.buffer = buffer;
    this.mask = capacity - 1;
    this.slots = new Uint32Array(buffer, HEADER_WORDS * 4, capacity);
    this.keys = new Uint8Array(buffer, (HEADER_WORDS + capacity) * 4, this.size * SERIAL_KEY_BYTES);
  }

  /** From hex spellings (tests, the server-certificate rule). */
  static fromHex(serials: Iterable<string>): RevokedSerials {
    const list = [...serials];
    const builder = new RevokedSerialsBuilder(list.length);
    for (const hex of list) {
      const key = serialKeyFromHex(hex);
      if (key === undefined) throw new RangeError(`not a serial: '${hex}'`);
      builder.add(key, 0, key.length);
    }
    return builder.finish();
  }

  get byteLength(): number {
    return this.buffer.byteLength;
  }

  /** The hot path: a key and its hash computed once per connection; no allocation. */
  hasKey(key: Uint8Array, hash: number): boolean {
    const { slots, keys, mask } = this;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = slots[slot] as number;
      if (entry === 0) return false;
      const at = (entry - 1) * SERIAL_KEY_BYTES;
      let i = 0;
      while (i < SERIAL_KEY_BYTES && keys[at + i] === key[i]) i++;
      if (i === SERIAL_KEY_BYTES) return true;
    }
  }

  /** By hex spelling (allocates: for checks and tests, not per request). */
  has(hex: string): boolean {
    const key = serialKeyFromHex(hex);
    return key !== undefined && this.hasKey(key, hashSerialKey(key, 0));
  }

  *[Symbol.iterator](): IterableIterator<string> {
    for (let i = 0; i < this.size; i++) yield serialKeyToHex(this.keys, i * SERIAL_KEY_BYTES);
  }
}

/** The table of a front with no CRL. */
export const NO_REVOKED_SERIALS: RevokedSerials = new RevokedSerialsBuilder(0).finish();
