// Certificate rules: parse PEM/DER into a summary plus the DER facts Node does not expose
// (signature algorithm, basicConstraints, keyUsage, EKU), then judge CA and server cert.
import { X509Certificate } from 'node:crypto';
import { children, decodeOid, expectTag, readTlv, type Tlv } from './der.js';
import { parseSignatureAlgorithm, type SignatureAlgorithm } from './algorithms.js';
import { ROLE_LABELS, error, warning, type Finding, type MaterialRole } from './findings.js';
import { isPem, pemBlocks, toPem } from './pem.js';
import { normalizeSerial } from './serial.js';

export interface CertSummary {
  subject: string;
  issuer: string;
  serial: string;
  notBefore: Date;
  notAfter: Date;
  fingerprint256: string;
  keyBits: number;
  signatureAlgorithm: string;
  pem: string;
}

export interface ParsedCert {
  summary: CertSummary;
  x509: X509Certificate;
  der: Buffer;
  subjectDer: Buffer;
  algorithm: SignatureAlgorithm;
  keyType: string;
  isCa: boolean | undefined;
  hasKeyCertSign: boolean | undefined;
  ekus: string[] | undefined;
}

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const ANY_EKU = '2.5.29.37.0';
const DAY = 86_400_000;

/** Parses one certificate (the first PEM block, or DER); returns a Finding when it cannot. */
export function parseCertificate(bytes: Uint8Array, role: MaterialRole): ParsedCert | Finding {
  const der = isPem(bytes) ? pemBlocks(bytes, 'CERTIFICATE')[0] : Buffer.from(bytes);
  const what = ROLE_LABELS[role];
  if (der === undefined || der.length === 0) {
    return error(
      'PKI_NOT_PEM_OR_DER',
      role,
      `the ${what} holds no '-----BEGIN CERTIFICATE-----' block`,
      'give a PEM or DER X.509 certificate',
    );
  }
  try {
    const x509 = new X509Certificate(der);
    const cert = readTlv(der, 0);
    const [tbs, sigAlg] = children(der, cert);
    const fields = children(der, expectTag(tbs, 0x30, 'tbsCertificate'));
    let i = fields[0]?.tag === 0xa0 ? 1 : 0;
    const subject = fields[i + 4] as Tlv; // serial, signature, issuer, validity, subject
    i += 6; // ... subjectPublicKeyInfo
    let isCa: boolean | undefined;
    let hasKeyCertSign: boolean | undefined;
    let ekus: string[] | undefined;
    const extsWrap = fields.slice(i).find((f) => f.tag === 0xa3);
    if (extsWrap) {
      for (const ext of children(der, readTlv(der, extsWrap.bodyStart, extsWrap.end))) {
        const parts = children(der, ext);
        const oid = decodeOid(der, parts[0] as Tlv);
        const value = parts[parts.length - 1] as Tlv;
        const inner = readTlv(der, value.bodyStart, value.end);
        if (oid === '2.5.29.19') {
          const first = children(der, inner)[0];
          isCa = first !== undefined && first.tag === 0x01 && der[first.bodyStart] !== 0;
        } else if (oid === '2.5.29.15') {
          const bits = inner.end - inner.bodyStart > 1 ? (der[inner.bodyStart + 1] as number) : 0;
          hasKeyCertSign = (bits & 0x04) !== 0;
        } else if (oid === '2.5.29.37') {
          ekus = children(der, inner).map((t) => decodeOid(der, t));
        }
      }
    }
    const algorithm = parseSignatureAlgorithm(der, expectTag(sigAlg, 0x30, 'signatureAlgorithm'));
    const pub = x509.publicKey;
    const keyType = pub.asymmetricKeyType ?? 'unknown';
    const summary: CertSummary = {
      subject: x509.subject.replace(/\n/g, ', '),
      issuer: x509.issuer.replace(/\n/g, ', '),
      serial: normalizeSerial(x509.serialNumber),
      notBefore: new Date(x509.validFrom),
      notAfter: new Date(x509.validTo),
      fingerprint256: x509.fingerprint256,
      keyBits: pub.asymmetricKeyDetails?.modulusLength ?? 0,
      signatureAlgorithm: algorithm.name,
      pem: toPem(der, 'CERTIFICATE'),
    };
    return {
      summary,
      x509,
      der,
      subjectDer: der.subarray(subject.start, subject.end),
      algorithm,
      keyType,
      isCa,
      hasKeyCertSign,
      ekus,
    };
  } catch (err) {
    return error(
      'PKI_CERT_UNPARSABLE',
      role,
      `the ${what} is not a valid X.509 certificate (${(err as Error).message})`,
      'give a PEM or DER X.509 certificate',
    );
  }
}

/** Below this an RSA key is refused (PKI_KEY_TOO_SMALL). Deployment examples that issue keys follow it too. */
export const MIN_RSA_KEY_BITS = 2048;
/** Below this an RSA key is accepted with a warning (PKI_KEY_BELOW_ADVICE): the SDK's advice. */
export const ADVISED_RSA_KEY_BITS = 3072;

/** Key type/size, signature algorithm and validity: the rules both certificates share. */
function commonRules(c: ParsedCert, role: MaterialRole, now: Date): Finding[] {
  const what = ROLE_LABELS[role];
  const out: Finding[] = [];
  const s = c.summary;
  if (c.keyType !== 'rsa') {
    out.push(
      error(
        'PKI_CERT_NOT_RSA',
        role,
        `the ${what} '${s.subject}' carries a ${c.keyType.toUpperCase()} key; only RSA is accepted`,
        'issue the certificate for an RSA key of 3072 bits or more',
      ),
    );
  } else if (s.keyBits < MIN_RSA_KEY_BITS) {
    out.push(
      error(
        'PKI_KEY_TOO_SMALL',
        role,
        `the ${what} '${s.subject}' has an RSA key of ${s.keyBits} bits; at least ${MIN_RSA_KEY_BITS} are required`,
        'issue it for an RSA key of 3072 bits: openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072',
      ),
    );
  } else if (s.keyBits < ADVISED_RSA_KEY_BITS) {
    out.push(
      warning(
        'PKI_KEY_BELOW_ADVICE',
        role,
        `the ${what} '${s.subject}' has an RSA key of ${s.keyBits} bits; the SDK advises ${ADVISED_RSA_KEY_BITS} or more`,
        'plan to reissue it with an RSA key of 3072 bits or more',
      ),
    );
  }
  if (!c.algorithm.isAllowed) {
    out.push(
      error(
        'PKI_WEAK_SIGNATURE',
        role,
        `the ${what} '${s.subject}' is signed with ${c.algorithm.name}; only sha256 or sha512 with RSA (PKCS#1 v1.5 or PSS) is accepted`,
        'reissue the certificate signed with -md sha256 (or sha512) by an RSA key',
      ),
    );
  }
  if (now.getTime() < s.notBefore.getTime()) {
    out.push(
      error(
        'PKI_CERT_NOT_YET_VALID',
        role,
        `the ${what} '${s.subject}' is not valid before ${s.notBefore.toISOString()}`,
        'check the system clock, or use a certificate that is already valid',
      ),
    );
  } else if (now.getTime() > s.notAfter.getTime()) {
    out.push(
      error(
        'PKI_CERT_EXPIRED',
        role,
        `the ${what} '${s.subject}' expired on ${s.notAfter.toISOString()}`,
        `renew the ${what} and import it again`,
      ),
    );
  } else if (s.notAfter.getTime() - now.getTime() < 30 * DAY) {
    const days = Math.floor((s.notAfter.getTime() - now.getTime()) / DAY);
    out.push(
      warning(
        'PKI_CERT_EXPIRES_SOON',
        role,
        `the ${what} '${s.subject}' expires on ${s.notAfter.toISOString()} (${days} days left)`,
        `renew the ${what} before it expires`,
      ),
    );
  }
  return out;
}

export function validateCa(ca: ParsedCert, now: Date): Finding[] {
  const out = commonRules(ca, 'ca', now);
  const s = ca.summary;
  if (ca.isCa !== true) {
    out.push(
      error(
        'PKI_CA_NOT_CA',
        'ca',
        `the CA certificate '${s.subject}' lacks basicConstraints CA:TRUE`,
        'give the CA certificate that issued the server certificate (with basicConstraints = critical, CA:TRUE)',
      ),
    );
  }
  if (ca.hasKeyCertSign === false) {
    out.push(
      error(
        'PKI_CA_NO_KEY_CERT_SIGN',
        'ca',
        `the CA certificate '${s.subject}' has a keyUsage without keyCertSign`,
        'reissue the CA with keyUsage = critical, keyCertSign, cRLSign',
      ),
    );
  }
  return out;
}

function isSignedBy(cert: ParsedCert, ca: ParsedCert): boolean {
  try {
    return cert.x509.verify(ca.x509.publicKey);
  } catch {
    return false;
  }
}

/** With a bundle of CAs, the server certificate must verify under one of them (its issuer). */
export function validateServerCert(server: ParsedCert, cas: ParsedCert | readonly ParsedCert[], now: Date): Finding[] {
  const out = commonRules(server, 'server-cert', now);
  const s = server.summary;
  const bundle = Array.isArray(cas) ? (cas as readonly ParsedCert[]) : [cas as ParsedCert];
  const isSigned = bundle.some((ca) => isSignedBy(server, ca));
  if (!isSigned) {
    const by =
      bundle.length === 1
        ? `the CA '${(bundle[0] as ParsedCert).summary.subject}': the signature does not verify with the CA key`
        : `any of the ${bundle.length} CA certificates of the bundle: the signature verifies with none of their keys`;
    out.push(
      error(
        'PKI_CERT_NOT_SIGNED_BY_CA',
        'server-cert',
        `the server certificate '${s.subject}' (issuer '${s.issuer}') is not signed by ${by}`,
        'give the CA certificate that issued this server certificate, or a server certificate issued by this CA',
      ),
    );
  }
  if (server.ekus !== undefined && !server.ekus.includes(SERVER_AUTH) && !server.ekus.includes(ANY_EKU)) {
    out.push(
      error(
        'PKI_CERT_NO_SERVER_AUTH',
        'server-cert',
        `the server certificate '${s.subject}' has extendedKeyUsage ${server.ekus.join(', ') || '(empty)'} without serverAuth`,
        'reissue it with extendedKeyUsage = serverAuth',
      ),
    );
  }
  return out;
}
