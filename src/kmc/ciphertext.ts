// The printable ciphertext: "SFKMC1$<domain>$<key id>$<alg>$<salt>$<nonce>$<data>$<tag>" with
// base64url binary fields. Pure build/parse; the header is also the AAD so no field can be swapped.
import { StreamfrontError } from '../errors/error.js';

export const CIPHERTEXT_MARK = 'SFKMC';
export const CIPHERTEXT_VERSION = 1;
/** The SDK's config reader refuses longer values. */
export const MAX_CIPHERTEXT_LENGTH = 400;

export interface CiphertextFields {
  readonly domain: number;
  readonly keyId: number;
  readonly algorithmId: 8 | 9;
  readonly salt: Buffer;
  readonly nonce: Buffer;
  readonly data: Buffer;
  readonly tag: Buffer;
}

export function buildHeader(domain: number, keyId: number, algorithmId: 8 | 9): string {
  return `${CIPHERTEXT_MARK}${CIPHERTEXT_VERSION}$${domain}$${keyId}$${algorithmId}`;
}

export function buildCiphertext(f: CiphertextFields): string {
  const b = (x: Buffer): string => x.toString('base64url');
  return `${buildHeader(f.domain, f.keyId, f.algorithmId)}$${b(f.salt)}$${b(f.nonce)}$${b(f.data)}$${b(f.tag)}`;
}

/** True when the value at least claims to be a KMC ciphertext (any version). */
export function hasCiphertextPrefix(value: string): boolean {
  return value.startsWith(CIPHERTEXT_MARK);
}

const DECIMAL = /^(0|[1-9][0-9]{0,8})$/;
const B64URL = /^[A-Za-z0-9_-]*$/;

/** Throws a KMC_CIPHERTEXT_* error naming the item; never echoes the value itself. */
export function parseCiphertext(value: string, item: string): CiphertextFields {
  const hint = `re-run the import (bash ./certImport.sh ...) so ${item} holds a fresh KMC ciphertext`;
  if (!hasCiphertextPrefix(value)) {
    throw new StreamfrontError(
      'KMC_CIPHERTEXT_NOT_PREFIXED',
      `value does not start with ${CIPHERTEXT_MARK}${CIPHERTEXT_VERSION}$ and is refused rather than used as plain text`,
      { item, hint },
    );
  }
  const parts = value.split('$');
  const version = parts[0]?.slice(CIPHERTEXT_MARK.length);
  if (version !== String(CIPHERTEXT_VERSION)) {
    throw new StreamfrontError(
      'KMC_CIPHERTEXT_UNSUPPORTED',
      `ciphertext format version "${(version ?? '').slice(0, 8)}" is not supported (expected ${CIPHERTEXT_VERSION})`,
      { item, hint },
    );
  }
  if (parts.length !== 8) {
    throw new StreamfrontError(
      'KMC_CIPHERTEXT_MALFORMED',
      `ciphertext has ${parts.length} '$'-separated fields, expected 8`,
      { item, hint },
    );
  }
  const [, domain, keyId, alg, salt, nonce, data, tag] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (!DECIMAL.test(domain) || !DECIMAL.test(keyId) || ![salt, nonce, data, tag].every((p) => B64URL.test(p))) {
    throw new StreamfrontError('KMC_CIPHERTEXT_MALFORMED', 'ciphertext has a field that is not a number or base64url', {
      item,
      hint,
    });
  }
  if (alg !== '8' && alg !== '9') {
    throw new StreamfrontError(
      'KMC_CIPHERTEXT_UNSUPPORTED',
      `ciphertext algorithm id must be 8 (AES-128-GCM) or 9 (AES-256-GCM)`,
      { item, hint },
    );
  }
  return {
    domain: Number(domain),
    keyId: Number(keyId),
    algorithmId: alg === '8' ? 8 : 9,
    salt: Buffer.from(salt, 'base64url'),
    nonce: Buffer.from(nonce, 'base64url'),
    data: Buffer.from(data, 'base64url'),
    tag: Buffer.from(tag, 'base64url'),
  };
}

/** What a ciphertext names, without decrypting it: for status, rewrap and retire. */
export function inspectCiphertext(value: string, item: string): { domain: number; keyId: number; algorithmId: 8 | 9 } {
  const { domain, keyId, algorithmId } = parseCiphertext(value, item);
  return { domain, keyId, algorithmId };
}

// Plaintext is encoded as UTF-8 or UTF-16LE, whichever is shorter (a one-byte marker says which),
// so 100 characters of any script stay within 200 bytes and the ciphertext within 400 characters.
const UTF8 = 1;
const UTF16 = 2;

export function encodePlaintext(text: string): Buffer {
  const utf8 = Buffer.from(text, 'utf8');
  const isLossless = utf8.toString('utf8') === text;
  const utf16 = Buffer.from(text, 'utf16le');
  if (isLossless && utf8.length <= utf16.length) return Buffer.concat([Buffer.from([UTF8]), utf8]);
  return Buffer.concat([Buffer.from([UTF16]), utf16]);
}

export function decodePlaintext(bytes: Buffer): string | undefined {
  const body = bytes.subarray(1);
  if (bytes[0] === UTF8) return body.toString('utf8');
  if (bytes[0] === UTF16 && body.length % 2 === 0) return body.toString('utf16le');
  return undefined;
}
