// The DER walker's header checks. Regression of a property-test counterexample: a long-form
// length whose octets run past the end came back as a value with end NaN instead of an error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { children, DerError, readTlv } from '../../../src/pki/der.js';

test('a long-form length cut off by the end of the bytes is a DerError, not a value with no end', () => {
  assert.throws(() => readTlv(Buffer.from([0x30, 0x82]), 0), DerError);
  assert.throws(() => readTlv(Buffer.from([0x30, 0x84, 0x00, 0x00]), 0), DerError);
});

test('a long-form length cut off by its container is a DerError, even with bytes after it', () => {
  // SEQUENCE of 3 bytes holding an OCTET STRING header whose length octets lie outside it.
  const bytes = Buffer.from([0x30, 0x03, 0x04, 0x82, 0x00, 0x00, 0x00]);
  assert.throws(() => children(bytes, readTlv(bytes, 0)), DerError);
});

test('a well-formed long-form length still reads', () => {
  const body = Buffer.alloc(200, 7);
  const t = readTlv(Buffer.concat([Buffer.from([0x04, 0x81, 200]), body]), 0);
  assert.deepEqual(t, { tag: 0x04, start: 0, bodyStart: 3, end: 203 });
});
