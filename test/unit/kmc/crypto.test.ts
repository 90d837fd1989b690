// encrypt/decrypt as the import stage and the loader use them: round trips, item binding,
// tamper detection per field, refusal of unprefixed values, and the 400-character bound.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Keystore } from '../../../src/kmc/index.js';
import { assertCode } from './helpers.js';

const ITEM = 'server_key_mm';

describe('kmc encrypt/decrypt', () => {
  const ks = Keystore.create({});

  for (const alg of [8, 9] as const) {
    it(`round-trips with algorithm ${alg} and names the algorithm in the prefix`, () => {
      const ct = ks.encrypt('s3cret pass', ITEM, alg);
      assert.match(ct, new RegExp(`^SFKMC1\\$0\\$1\\$${alg}\\$`));
      assert.equal(ks.decrypt(ct, ITEM), 's3cret pass');
    });
  }

  it('round-trips multibyte and astral text unchanged', () => {
    for (const pw of ['pässwörd', '中文密码', '😀🔑x', '\u{1F600}'.repeat(50)]) {
      assert.equal(ks.decrypt(ks.encrypt(pw, ITEM, 9), ITEM), pw);
    }
  });

  it('uses a fresh salt and nonce every time', () => {
    const a = ks.encrypt('same', ITEM, 9).split('$');
    const b = ks.encrypt('same', ITEM, 9).split('$');
    assert.notEqual(a[4], b[4]);
    assert.notEqual(a[5], b[5]);
    assert.equal(Buffer.from(a[5] as string, 'base64url').length, 12);
  });

  it('refuses a value moved to another item (AAD binding)', () => {
    const ct = ks.encrypt('pw', ITEM, 9);
    const err = assertCode(() => ks.decrypt(ct, 'other_item'), 'KMC_CIPHERTEXT_TAMPERED');
    assert.match(err.message, /another item/);
  });

  it('detects tampering in every field with a specific code', () => {
    const ct = ks.encrypt('password', ITEM, 9);
    const parts = ct.split('$');
    const withField = (i: number, v: string): string => parts.map((p, j) => (j === i ? v : p)).join('$');
    const flip = (s: string): string => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    assertCode(() => ks.decrypt(withField(0, 'SFKMC2'), ITEM), 'KMC_CIPHERTEXT_UNSUPPORTED');
    assertCode(() => ks.decrypt(withField(1, '7'), ITEM), 'KMC_CIPHERTEXT_UNSUPPORTED');
    assertCode(() => ks.decrypt(withField(2, '42'), ITEM), 'KMC_KEY_UNKNOWN');
    assertCode(() => ks.decrypt(withField(3, '8'), ITEM), 'KMC_CIPHERTEXT_TAMPERED');
    for (const i of [4, 5, 6, 7]) {
      assertCode(() => ks.decrypt(withField(i, flip(parts[i] as string)), ITEM), 'KMC_CIPHERTEXT_TAMPERED');
    }
    assertCode(() => ks.decrypt(parts.slice(0, 7).join('$'), ITEM), 'KMC_CIPHERTEXT_MALFORMED');
    assertCode(() => ks.decrypt(ct.slice(0, -2), ITEM), 'KMC_CIPHERTEXT_TAMPERED');
  });

  it('refuses a value without the prefix instead of treating it as plain text, without echoing it', () => {
    const err = assertCode(() => ks.decrypt('MyPlainPassword1', ITEM), 'KMC_CIPHERTEXT_NOT_PREFIXED');
    assert.doesNotMatch(err.message, /MyPlainPassword1/);
    assertCode(() => ks.decrypt('', ITEM), 'KMC_CIPHERTEXT_NOT_PREFIXED');
  });

  it('refuses a ciphertext from another keystore as an unknown key or a tampered value', () => {
    const other = Keystore.create({});
    assertCode(() => other.decrypt(ks.encrypt('pw', ITEM, 9), ITEM), 'KMC_CIPHERTEXT_TAMPERED');
  });

  it('keeps a 100-character password within 400 characters, multibyte included', () => {
    const samples = {
      ascii: '~'.repeat(100),
      latin: 'é'.repeat(100),
      cjk: '中'.repeat(100),
      mixed: 'a中é'.repeat(33) + 'z',
      astral: '😀'.repeat(50),
    };
    for (const [name, pw] of Object.entries(samples)) {
      assert.equal(pw.length, 100, name);
      for (const alg of [8, 9] as const) {
        const ct = ks.encrypt(pw, ITEM, alg);
        assert.ok(ct.length <= 400, `${name}/${alg}: ${ct.length} characters`);
        assert.match(ct, /^[\x21-\x7e]+$/, 'printable ASCII only');
        assert.equal(ks.decrypt(ct, ITEM), pw);
      }
    }
  });

  it('refuses to produce a ciphertext over 400 characters', () => {
    assertCode(() => ks.encrypt('x'.repeat(300), ITEM, 9), 'KMC_PLAINTEXT_TOO_LONG');
  });

  it('refuses an empty or non-printable item name', () => {
    assertCode(() => ks.encrypt('pw', '', 9), 'KMC_ITEM_INVALID');
    assertCode(() => ks.decrypt(ks.encrypt('pw', ITEM, 9), 'server key'), 'KMC_ITEM_INVALID');
  });

  it('refuses an algorithm id other than 8 or 9', () => {
    assertCode(() => ks.encrypt('pw', ITEM, 7 as 8), 'KMC_CIPHERTEXT_UNSUPPORTED');
  });
});
