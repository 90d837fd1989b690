// Names a signature AlgorithmIdentifier and says whether it is allowed: RSA with sha256 or
// sha512, PKCS#1 v1.5 or PSS (the hash read from the PSS parameters, not assumed).
import { children, decodeOid, readTlv, type Tlv } from './der.js';

export interface SignatureAlgorithm {
  name: string;
  isAllowed: boolean;
  /** The node:crypto digest name, when the algorithm is an RSA one we can verify. */
  hash?: string;
  isPss: boolean;
  saltLength?: number;
}

const RSA_PKCS1: Record<string, [string, string]> = {
  '1.2.840.113549.1.1.11': ['sha256WithRSAEncryption', 'sha256'],
  '1.2.840.113549.1.1.13': ['sha512WithRSAEncryption', 'sha512'],
  '1.2.840.113549.1.1.12': ['sha384WithRSAEncryption', 'sha384'],
  '1.2.840.113549.1.1.14': ['sha224WithRSAEncryption', 'sha224'],
  '1.2.840.113549.1.1.5': ['sha1WithRSAEncryption', 'sha1'],
  '1.2.840.113549.1.1.4': ['md5WithRSAEncryption', 'md5'],
};
const OTHER: Record<string, string> = {
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '1.3.101.112': 'ED25519',
  '1.3.101.113': 'ED448',
  '1.2.840.10040.4.3': 'dsa-with-SHA1',
  '2.16.840.1.101.3.4.3.2': 'dsa-with-SHA256',
  '1.2.840.113549.1.1.2': 'md2WithRSAEncryption',
};
const HASHES: Record<string, string> = {
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '1.3.14.3.2.26': 'sha1',
  '1.2.840.113549.2.5': 'md5',
};
const PSS = '1.2.840.113549.1.1.10';
const ALLOWED_HASHES = new Set(['sha256', 'sha512']);

export function parseSignatureAlgorithm(buf: Uint8Array, alg: Tlv): SignatureAlgorithm {
  const [oidTlv, params] = children(buf, alg);
  const oid = oidTlv === undefined ? '' : decodeOid(buf, oidTlv);
  const pkcs1 = RSA_PKCS1[oid];
  if (pkcs1) return { name: pkcs1[0], hash: pkcs1[1], isPss: false, isAllowed: ALLOWED_HASHES.has(pkcs1[1]) };
  if (oid === PSS) {
    // RFC 4055 defaults: sha1, MGF1 with sha1, salt 20.
    let hash = 'sha1';
    let mgfHash = 'sha1';
    let saltLength = 20;
    for (const field of params && params.tag === 0x30 ? children(buf, params) : []) {
      const inner = readTlv(buf, field.bodyStart, field.end);
      if (field.tag === 0xa0) hash = HASHES[decodeOid(buf, children(buf, inner)[0] as Tlv)] ?? 'unknown';
      if (field.tag === 0xa1) {
        const mgfParams = children(buf, inner)[1];
        const mgfOid = mgfParams ? children(buf, mgfParams)[0] : undefined;
        mgfHash = mgfOid ? (HASHES[decodeOid(buf, mgfOid)] ?? 'unknown') : 'unknown';
      }
      if (field.tag === 0xa2)
        saltLength = Buffer.from(buf.subarray(inner.bodyStart, inner.end)).readUIntBE(
          0,
          Math.min(6, inner.end - inner.bodyStart),
        );
    }
    const name = `rsassaPss(${hash}, mgf1 ${mgfHash})`;
    return { name, hash, isPss: true, saltLength, isAllowed: ALLOWED_HASHES.has(hash) && mgfHash === hash };
  }
  return { name: OTHER[oid] ?? `OID ${oid}`, isPss: false, isAllowed: false };
}
