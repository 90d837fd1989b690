// Who issued a certificate or a CRL, as one comparable string, so that revocation is keyed by
// issuer and serial: a serial listed by one CA's CRL says nothing about another CA's
// certificate with the same serial (a CA rollover serves two CAs side by side).
import { children, decodeOid, readTlv, type Tlv } from './der.js';

const NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

/** A readable Name in the same "O=..., CN=..." order Node gives for certificates. */
export function nameToString(buf: Uint8Array, name: Tlv): string {
  const out: string[] = [];
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  for (const rdn of children(buf, name)) {
    for (const atv of children(buf, rdn)) {
      const [oid, value] = children(buf, atv);
      if (!oid || !value) continue;
      const key = NAMES[decodeOid(buf, oid)] ?? decodeOid(buf, oid);
      out.push(`${key}=${b.toString(value.tag === 0x1e ? 'utf16le' : 'utf8', value.bodyStart, value.end)}`);
    }
  }
  return out.join(', ');
}

/**
 * The issuer key of a Name: its text with case and runs of spaces folded, as OpenSSL compares
 * names when it builds a chain (a certificate whose issuer differs from its CA's subject only in
 * string type or case still chains, so it must still meet that CA's CRL).
 */
export function issuerKeyOfName(buf: Uint8Array, name: Tlv): string {
  return nameToString(buf, name).toLowerCase().replace(/\s+/g, ' ').trim();
}

/** The issuer key of a certificate's DER (tbsCertificate's issuer field). */
export function issuerKeyOfCertificate(der: Uint8Array): string {
  const tbs = readTlv(der, readTlv(der, 0).bodyStart);
  const fields = children(der, tbs);
  const i = fields[0]?.tag === 0xa0 ? 1 : 0; // version
  return issuerKeyOfName(der, fields[i + 2] as Tlv); // serial, signature, issuer
}

/** The subject key of a certificate's DER: what its CRL's issuer key must equal. */
export function subjectKeyOfCertificate(der: Uint8Array): string {
  const tbs = readTlv(der, readTlv(der, 0).bodyStart);
  const fields = children(der, tbs);
  const i = fields[0]?.tag === 0xa0 ? 1 : 0;
  return issuerKeyOfName(der, fields[i + 4] as Tlv); // serial, signature, issuer, validity, subject
}

/** The serial INTEGER of a certificate's DER, for its revocation key. */
export function serialTlvOfCertificate(der: Uint8Array): Tlv {
  const tbs = readTlv(der, readTlv(der, 0).bodyStart);
  let pos = tbs.bodyStart;
  let t = readTlv(der, pos, tbs.end);
  if (t.tag === 0xa0) {
    pos = t.end;
    t = readTlv(der, pos, tbs.end);
  }
  return t;
}
