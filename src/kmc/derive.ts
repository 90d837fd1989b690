// Key derivation for the keystore: HKDF-SHA256 from the random root material (separate keys
// for wrapping and for the file HMAC), scrypt first for the operator secret since it may be human.
import { createHmac, hkdfSync, scryptSync, timingSafeEqual } from 'node:crypto';

export interface RootKeys {
  readonly wrapKey: Buffer;
  readonly hmacKey: Buffer;
}

// scrypt cost: ~100 ms and 32 MiB per derivation; the secret is derived once per open/save.
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;

function hkdf(ikm: Buffer, salt: Buffer, info: string, length: number): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from(info, 'utf8'), length));
}

/** Stretches the operator secret; the salt lives in the keystore so each keystore differs. */
export function stretchOperatorSecret(secret: Buffer, salt: Buffer): Buffer {
  return scryptSync(secret, salt, 32, SCRYPT);
}

/** A value stored in the keystore that proves a secret right without opening anything. */
export function buildSecretVerifier(stretched: Buffer): Buffer {
  return hkdf(stretched, Buffer.alloc(0), 'streamfront-kmc v1 operator-secret verifier', 32);
}

export function isSecretVerifierMatch(stretched: Buffer, verifier: Buffer): boolean {
  const expected = buildSecretVerifier(stretched);
  return expected.length === verifier.length && timingSafeEqual(expected, verifier);
}

/** The stretched operator secret (or nothing) salts HKDF, so the root key needs both. */
export function deriveRootKeys(rootMaterial: Buffer, stretchedSecret: Buffer | undefined): RootKeys {
  const salt = stretchedSecret ?? Buffer.alloc(0);
  return {
    wrapKey: hkdf(rootMaterial, salt, 'streamfront-kmc v1 master-key wrap', 32),
    hmacKey: hkdf(rootMaterial, salt, 'streamfront-kmc v1 keystore hmac', 32),
  };
}

/** Per-ciphertext data key: a fresh salt per value, so no two values share a GCM key. */
export function deriveDataKey(masterKey: Buffer, salt: Buffer, algorithmId: 8 | 9): Buffer {
  return hkdf(masterKey, salt, `streamfront-kmc v1 data alg ${algorithmId}`, algorithmId === 8 ? 16 : 32);
}

export function buildHmac(key: Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

export function isHmacMatch(key: Buffer, data: string, mac: Buffer): boolean {
  const expected = buildHmac(key, data);
  return expected.length === mac.length && timingSafeEqual(expected, mac);
}
