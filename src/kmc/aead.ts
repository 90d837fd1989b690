// AES-GCM sealing with a fresh random 96-bit nonce; the only cipher code in the keystore.
// open() returns undefined on any authentication failure so callers choose the error code.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export interface Sealed {
  readonly nonce: Buffer;
  readonly data: Buffer;
  readonly tag: Buffer;
}

function cipherName(key: Buffer): 'aes-128-gcm' | 'aes-256-gcm' {
  return key.length === 16 ? 'aes-128-gcm' : 'aes-256-gcm';
}

export function seal(key: Buffer, plaintext: Buffer, aad: Buffer): Sealed {
  const nonce = randomBytes(12);
  const cipher = createCipheriv(cipherName(key), key, nonce, { authTagLength: 16 });
  cipher.setAAD(aad);
  const data = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { nonce, data, tag: cipher.getAuthTag() };
}

export function open(key: Buffer, sealed: Sealed, aad: Buffer): Buffer | undefined {
  if (sealed.nonce.length !== 12 || sealed.tag.length !== 16) return undefined;
  try {
    const decipher = createDecipheriv(cipherName(key), key, sealed.nonce, { authTagLength: 16 });
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.tag);
    return Buffer.concat([decipher.update(sealed.data), decipher.final()]);
  } catch {
    return undefined;
  }
}
