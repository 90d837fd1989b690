// CRL parsing and rules. Node and node-forge have no CRL parser, so this walks the DER
// directly (fast for large CRLs) and verifies the signature over the tbsCertList bytes.
import { constants, verify, X509Certificate } from 'node:crypto';
import { children, decodeOid, decodeTime, DerError, expectTag, readTlv, type Tlv } from './der.js';
import { parseSignatureAlgorithm, type SignatureAlgorithm } from './algorithms.js';
import { error, PkiError, type Finding } from './findings.js';
import { isPem, pemBlocks, toPem } from './pem.js';
import type { CertSummary } from './certificate.js';
import { createHash } from 'node:crypto';

export interface CrlPart {
  issuer: string; issuerDer: Buffer; thisUpdate: Date; nextUpdate: Date | undefined; algorithm: SignatureAlgorithm;
  tbs: Buffer; signature: Buffer; revokedSerials: Set<string>;
}
export interface CrlSummary {
  issuer: string; thisUpdate: Date; nextUpdate: Date | undefined; revokedSerials: ReadonlySet<string>;
  pems: string[]; fingerprint256: string; signatureAlgorithm: string;
  /** Each CRL of a multi-CRL file, for per-CRL checks. */
  parts: CrlPart[];
}

const NAMES: Record<string, string> = {
  '2.5.4.3': 'CN', '2.5.4.6': 'C', '2.5.4.7': 'L', '2.5.4.8': 'ST', '2.5.4.10': 'O', '2.5.4.11': 'OU', '1.2.840.113549.1.9.1': 'emailAddress',
};

/** A readable Name in the same "O=..., CN=..." order Node gives for certificates. */
export function nameToString(buf: Buffer, name: Tlv): string {
  const out: string[] = [];
  for (const rdn of children(buf, name)) {
    for (const atv of children(buf, rdn)) {
      const [oid, value] = children(buf, atv);
      if (!oid || !value) continue;
      const key = NAMES[decodeOid(buf, oid)] ?? decodeOid(buf, oid);
      out.push(`${key}=${buf.toString(value.tag === 0x1e ? 'utf16le' : 'utf8', value.bodyStart, value.end)}`);
    }
  }
  return out.join(', ');
}

function hexSerial(buf: Buffer, t: Tlv): string {
  let i = t.bodyStart;
  while (i < t.end - 1 && buf[i] === 0) i++;
  const s = buf.toString('hex', i, t.end).toUpperCase();
  return s[0] === '0' && s.length > 1 ? s.slice(1) : s;
}

function parseOne(der: Buffer): CrlPart {
  const top = readTlv(der, 0);
  const [tbs, alg, sig] = children(der, expectTag(top, 0x30, 'CertificateList'));
  const tbsT = expectTag(tbs, 0x30, 'tbsCertList');
  let pos = tbsT.bodyStart;
  let t = readTlv(der, pos, tbsT.end);
  if (t.tag === 0x02) { pos = t.end; t = readTlv(der, pos, tbsT.end); } // version
  pos = t.end; // inner signature algorithm
  const issuer = expectTag(readTlv(der, pos, tbsT.end), 0x30, 'issuer');
  pos = issuer.end;
  const thisT = readTlv(der, pos, tbsT.end);
  const thisUpdate = decodeTime(der, thisT);
  pos = thisT.end;
  let nextUpdate: Date | undefined;
  const revokedSerials = new Set<string>();
  if (pos < tbsT.end) {
    let n = readTlv(der, pos, tbsT.end);
    if (n.tag === 0x17 || n.tag === 0x18) {
      nextUpdate = decodeTime(der, n);
      pos = n.end;
      n = pos < tbsT.end ? readTlv(der, pos, tbsT.end) : n;
    }
    if (pos < tbsT.end && n.tag === 0x30) {
      for (let e = n.bodyStart; e < n.end;) {
        const entry = readTlv(der, e, n.end);
        const serial = expectTag(readTlv(der, entry.bodyStart, entry.end), 0x02, 'revoked serial');
        revokedSerials.add(hexSerial(der, serial));
        e = entry.end;
      }
    }
  }
  const sigT = expectTag(sig, 0x03, 'signatureValue');
  return {
    issuer: nameToString(der, issuer), issuerDer: der.subarray(issuer.start, issuer.end), thisUpdate, nextUpdate,
    algorithm: parseSignatureAlgorithm(der, expectTag(alg, 0x30, 'signatureAlgorithm')),
    tbs: der.subarray(tbsT.start, tbsT.end), signature: der.subarray(sigT.bodyStart + 1, sigT.end), revokedSerials,
  };
}

/** Parses a CRL file: DER, or PEM holding one or more CRLs. Throws PkiError when it cannot. */
export function parseCrl(bytes: Uint8Array): CrlSummary {
  const ders = isPem(bytes) ? pemBlocks(bytes, 'X509 CRL') : [Buffer.from(bytes)];
  if (ders.length === 0) {
    throw new PkiError(error('PKI_NOT_PEM_OR_DER', 'crl', "the CRL holds no '-----BEGIN X509 CRL-----' block", 'give a PEM or DER CRL: openssl crl -in ca.crl -outform PEM -out ca.crl.pem'));
  }
  let parts: CrlPart[];
  try {
    parts = ders.map(parseOne);
  } catch (err) {
    const why = err instanceof DerError || err instanceof RangeError ? err.message : String(err);
    throw new PkiError(error('PKI_CRL_UNPARSABLE', 'crl', `the CRL is not a valid X.509 CRL (${why})`, 'check it with: openssl crl -in ca.crl -noout -text'));
  }
  const first = parts[0] as CrlPart;
  const revoked = parts.length === 1 ? first.revokedSerials : new Set(parts.flatMap((p) => [...p.revokedSerials]));
  const nexts = parts.map((p) => p.nextUpdate).filter((d): d is Date => d !== undefined);
  return {
    issuer: first.issuer,
    thisUpdate: new Date(Math.max(...parts.map((p) => p.thisUpdate.getTime()))),
    nextUpdate: nexts.length === parts.length ? new Date(Math.min(...nexts.map((d) => d.getTime()))) : undefined,
    revokedSerials: revoked,
    pems: ders.map((d) => toPem(d, 'X509 CRL')),
    fingerprint256: createHash('sha256').update(Buffer.concat(ders)).digest('hex').toUpperCase().replace(/(..)(?=.)/g, '$1:'),
    signatureAlgorithm: first.algorithm.name,
    parts,
  };
}

function subjectDerOf(ca: X509Certificate): Buffer {
  const der = ca.raw;
  const tbs = children(der, readTlv(der, 0))[0] as Tlv;
  const f = children(der, tbs);
  const i = f[0]?.tag === 0xa0 ? 1 : 0;
  const s = f[i + 4] as Tlv;
  return der.subarray(s.start, s.end);
}

/** Issuer, signature, algorithm and dates of every CRL in the file (not the server rule). */
export function validateCrl(crl: CrlSummary, ca: CertSummary, now: Date): Finding[] {
  const out: Finding[] = [];
  const caX509 = new X509Certificate(ca.pem);
  const caSubject = subjectDerOf(caX509);
  for (const p of crl.parts) {
    if (!p.issuerDer.equals(caSubject)) {
      out.push(error('PKI_CRL_WRONG_ISSUER', 'crl', `the CRL issuer '${p.issuer}' is not the CA '${ca.subject}'`, 'give the CRL that this CA issued (openssl ca -gencrl with the CA key)'));
      continue;
    }
    if (!p.algorithm.isAllowed || p.algorithm.hash === undefined) {
      out.push(error('PKI_CRL_WEAK_SIGNATURE', 'crl', `the CRL of '${p.issuer}' is signed with ${p.algorithm.name}; only sha256 or sha512 with RSA is accepted`, 'regenerate it: openssl ca -gencrl -md sha256 -out ca.crl'));
    } else {
      let ok = false;
      try {
        const key = p.algorithm.isPss
          ? { key: caX509.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: p.algorithm.saltLength ?? 20 }
          : caX509.publicKey;
        ok = verify(p.algorithm.hash, p.tbs, key, p.signature);
      } catch { ok = false; }
      if (!ok) {
        out.push(error('PKI_CRL_BAD_SIGNATURE', 'crl', `the CRL of '${p.issuer}' has a signature that does not verify with the CA key`, 'give the CRL signed by this CA (same name is not enough): openssl ca -gencrl -out ca.crl'));
      }
    }
    if (p.thisUpdate.getTime() > now.getTime()) {
      out.push(error('PKI_CRL_NOT_YET_VALID', 'crl', `the CRL thisUpdate ${p.thisUpdate.toISOString()} is in the future`, 'check the system clock, or regenerate the CRL'));
    }
    if (p.nextUpdate !== undefined && p.nextUpdate.getTime() < now.getTime()) {
      out.push(error('PKI_CRL_EXPIRED', 'crl', `the CRL nextUpdate ${p.nextUpdate.toISOString()} has passed`, 'publish a fresh CRL: openssl ca -gencrl -out ca.crl'));
    }
  }
  return out;
}
