// CRL parsing and rules. Node and node-forge have no CRL parser, so this walks the DER in place:
// the revokedCertificates sequence is streamed entry by entry straight into a flat table of
// serial keys (no object per entry), and the signature is verified over the tbsCertList bytes.
import { constants, createHash, verify, X509Certificate } from 'node:crypto';
import { children, decodeTime, DerError, expectTag, readTlv, readTlvInto, type Tlv } from './der.js';
import { parseSignatureAlgorithm, type SignatureAlgorithm } from './algorithms.js';
import { bundlePosition } from './ca-bundle.js';
import { error, PkiError, warning, type Finding } from './findings.js';
import { isPem, pemBlocks } from './pem.js';
import type { CertSummary } from './certificate.js';
import { checkCrlExtensions, checkEntryExtensions, REASON_CERTIFICATE_HOLD } from './crl-extensions.js';
import { issuerKeyOfName, nameToString } from './issuer-key.js';
import { type RevokedSerials, RevokedSerialsBuilder } from './revoked-serials.js';
import { SERIAL_KEY_BYTES, serialKeyToHex, writeSerialKey } from './serial-key.js';

export { nameToString } from './issuer-key.js';

export interface CrlPart {
  issuer: string;
  issuerDer: Buffer;
  thisUpdate: Date;
  nextUpdate: Date | undefined;
  algorithm: SignatureAlgorithm;
  tbs: Buffer;
  signature: Buffer;
  entries: number;
  /** Entries listed with reason certificateHold: enforced as revoked while they are listed. */
  holds: number;
  /** Why RFC 5280 forbids enforcing this CRL as complete (delta, partial scope, ...), if it does. */
  scopeFinding?: Finding | undefined;
}
export interface CrlSummary {
  issuer: string;
  /** The issuer, folded for comparison with a client certificate's issuer (issuer-key.ts). */
  issuerKey: string;
  thisUpdate: Date;
  nextUpdate: Date | undefined;
  revokedSerials: RevokedSerials;
  fingerprint256: string;
  signatureAlgorithm: string;
  /** Each CRL of a multi-CRL file, for per-CRL checks. */
  parts: CrlPart[];
  /**
   * The CRLs of further issuers in the file (a CA bundle: root and intermediates), one table
   * each; `issuer`, `issuerKey` and `revokedSerials` above are the first issuer's. Empty when
   * every CRL of the file has the first CRL's issuer.
   */
  otherIssuers: IssuerRevocations[];
}

/** The revoked serials one issuer's CRLs list: a serial speaks only for that issuer's certificates. */
export interface IssuerRevocations {
  issuer: string;
  issuerKey: string;
  revokedSerials: RevokedSerials;
}

/** Entries over every issuer of the file (what reports and logs show as "revoked"). */
export function revokedCountOf(crl: Pick<CrlSummary, 'revokedSerials' | 'otherIssuers'>): number {
  let n = crl.revokedSerials.size;
  for (const other of crl.otherIssuers ?? []) n += other.revokedSerials.size;
  return n;
}

/** The table of the CRLs issued by `issuerKey` (folded, issuer-key.ts), if the file has any. */
export function revokedSerialsOf(crl: CrlSummary, issuerKey: string): RevokedSerials | undefined {
  if (issuerKey === crl.issuerKey) return crl.revokedSerials;
  return crl.otherIssuers.find((o) => o.issuerKey === issuerKey)?.revokedSerials;
}

/** Where the fields of one CRL sit in its DER; nothing is decoded per entry yet. */
interface CrlLayout {
  der: Buffer;
  tbs: Tlv;
  issuer: Tlv;
  thisUpdate: Tlv;
  nextUpdate?: Tlv | undefined;
  revoked?: Tlv | undefined;
  extensions?: Tlv | undefined;
  algorithm: Tlv;
  signature: Tlv;
}

function locate(der: Buffer): CrlLayout {
  const top = readTlv(der, 0);
  const [tbsRaw, algorithm, signature] = children(der, expectTag(top, 0x30, 'CertificateList'));
  const tbs = expectTag(tbsRaw, 0x30, 'tbsCertList');
  let t = readTlv(der, tbs.bodyStart, tbs.end);
  if (t.tag === 0x02) t = readTlv(der, t.end, tbs.end); // version
  const issuer = expectTag(readTlv(der, t.end, tbs.end), 0x30, 'issuer'); // after the inner signature algorithm
  const thisUpdate = readTlv(der, issuer.end, tbs.end);
  const layout: CrlLayout = {
    der,
    tbs,
    issuer,
    thisUpdate,
    algorithm: expectTag(algorithm, 0x30, 'signatureAlgorithm'),
    signature: expectTag(signature, 0x03, 'signatureValue'),
  };
  for (let pos = thisUpdate.end; pos < tbs.end; ) {
    const field = readTlv(der, pos, tbs.end);
    pos = field.end;
    if ((field.tag === 0x17 || field.tag === 0x18) && layout.nextUpdate === undefined && layout.revoked === undefined)
      layout.nextUpdate = field;
    else if (field.tag === 0x30 && layout.revoked === undefined) layout.revoked = field;
    else if (field.tag === 0xa0)
      layout.extensions = expectTag(readTlv(der, field.bodyStart, field.end), 0x30, 'crlExtensions');
    else throw new DerError(`unexpected field (tag 0x${field.tag.toString(16)}) in tbsCertList`);
  }
  return layout;
}

/** Entries in the revokedCertificates sequence, by walking headers only: sizes the table exactly. */
function countEntries(layout: CrlLayout): number {
  const seq = layout.revoked;
  if (seq === undefined) return 0;
  const t = newTlv();
  let n = 0;
  for (let pos = seq.bodyStart; pos < seq.end; n++) pos = readTlvInto(layout.der, pos, seq.end, t).end;
  return n;
}

const newTlv = (): Tlv => ({ tag: 0, start: 0, bodyStart: 0, end: 0 });

/** Streams the entries into the table; returns the first finding that forbids the CRL, and the holds. */
function addEntries(layout: CrlLayout, table: RevokedSerialsBuilder): { holds: number; finding?: Finding | undefined } {
  const { der } = layout;
  const seq = layout.revoked;
  let holds = 0;
  let finding: Finding | undefined;
  if (seq === undefined) return { holds };
  // Three records reused for every entry: the walk allocates nothing per entry.
  const entry = newTlv();
  const serial = newTlv();
  const field = newTlv();
  for (let pos = seq.bodyStart; pos < seq.end; ) {
    readTlvInto(der, pos, seq.end, entry);
    pos = entry.end;
    if (readTlvInto(der, entry.bodyStart, entry.end, serial).tag !== 0x02)
      throw new DerError('expected revoked serial');
    if (!table.add(der, serial.bodyStart, serial.end)) {
      throw new DerError(
        `revoked serial of ${serial.end - serial.bodyStart} octets at offset ${serial.start}; RFC 5280 allows at most ${SERIAL_KEY_BYTES}`,
      );
    }
    const dateEnd = readTlvInto(der, serial.end, entry.end, field).end;
    if (dateEnd === entry.end) continue; // no entry extensions: the common case
    // serialHex is called before checkEntryExtensions returns, while `serial` still holds this entry.
    const verdict = checkEntryExtensions(
      der,
      expectTag(readTlv(der, dateEnd, entry.end), 0x30, 'crlEntryExtensions'),
      () => hexOf(der, serial),
    );
    if (verdict.reason === REASON_CERTIFICATE_HOLD) holds++;
    finding ??= verdict.finding;
  }
  return { holds, finding };
}

function hexOf(der: Buffer, serial: Tlv): string {
  const key = new Uint8Array(SERIAL_KEY_BYTES);
  writeSerialKey(der, serial.bodyStart, serial.end, key, 0);
  return serialKeyToHex(key, 0);
}

function toPart(layout: CrlLayout, added: { holds: number; finding?: Finding | undefined }, entries: number): CrlPart {
  const { der } = layout;
  return {
    issuer: nameToString(der, layout.issuer),
    issuerDer: der.subarray(layout.issuer.start, layout.issuer.end),
    thisUpdate: decodeTime(der, layout.thisUpdate),
    nextUpdate: layout.nextUpdate === undefined ? undefined : decodeTime(der, layout.nextUpdate),
    algorithm: parseSignatureAlgorithm(der, layout.algorithm),
    tbs: der.subarray(layout.tbs.start, layout.tbs.end),
    signature: der.subarray(layout.signature.bodyStart + 1, layout.signature.end),
    entries,
    holds: added.holds,
    scopeFinding:
      (layout.extensions === undefined ? undefined : checkCrlExtensions(der, layout.extensions)) ?? added.finding,
  };
}

function colonHex(digest: Buffer): string {
  return digest
    .toString('hex')
    .toUpperCase()
    .replace(/(..)(?=.)/g, '$1:');
}

/** Parses a CRL file: DER, or PEM holding one or more CRLs. Throws PkiError when it cannot. */
export function parseCrl(bytes: Uint8Array): CrlSummary {
  const ders = isPem(bytes)
    ? pemBlocks(bytes, 'X509 CRL')
    : [Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)];
  if (ders.length === 0) {
    throw new PkiError(
      error(
        'PKI_NOT_PEM_OR_DER',
        'crl',
        "the CRL holds no '-----BEGIN X509 CRL-----' block",
        'give a PEM or DER CRL: openssl crl -in ca.crl -outform PEM -out ca.crl.pem',
      ),
    );
  }
  let parts: CrlPart[];
  let tables: IssuerRevocations[];
  try {
    const layouts = ders.map(locate);
    const counts = layouts.map(countEntries);
    // One table per issuer, in the order issuers first appear: a single-CA file builds one, as before.
    const keys = layouts.map((l) => issuerKeyOfName(l.der, l.issuer));
    const order = [...new Set(keys)];
    const builders = order.map(
      (key) => new RevokedSerialsBuilder(counts.reduce((sum, n, i) => (keys[i] === key ? sum + n : sum), 0)),
    );
    parts = layouts.map((layout, i) => {
      const table = builders[order.indexOf(keys[i] as string)] as RevokedSerialsBuilder;
      return toPart(layout, addEntries(layout, table), counts[i] as number);
    });
    tables = order.map((issuerKey, g) => ({
      issuer: (parts[keys.indexOf(issuerKey)] as CrlPart).issuer,
      issuerKey,
      revokedSerials: (builders[g] as RevokedSerialsBuilder).finish(),
    }));
  } catch (err) {
    const why = err instanceof DerError || err instanceof RangeError ? err.message : String(err);
    throw new PkiError(
      error(
        'PKI_CRL_UNPARSABLE',
        'crl',
        `the CRL is not a valid X.509 CRL (${why})`,
        'check it with: openssl crl -in ca.crl -noout -text',
      ),
    );
  }
  const first = parts[0] as CrlPart;
  const [main, ...otherIssuers] = tables as [IssuerRevocations, ...IssuerRevocations[]];
  const nexts = parts.map((p) => p.nextUpdate).filter((d): d is Date => d !== undefined);
  const hash = createHash('sha256');
  for (const der of ders) hash.update(der);
  return {
    issuer: first.issuer,
    issuerKey: main.issuerKey,
    thisUpdate: new Date(Math.max(...parts.map((p) => p.thisUpdate.getTime()))),
    nextUpdate: nexts.length === parts.length ? new Date(Math.min(...nexts.map((d) => d.getTime()))) : undefined,
    revokedSerials: main.revokedSerials,
    fingerprint256: colonHex(hash.digest()),
    signatureAlgorithm: first.algorithm.name,
    parts,
    otherIssuers,
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

interface CrlSigner {
  summary: CertSummary;
  x509: X509Certificate;
  subjectDer: Buffer;
  hasCrl: boolean;
}

function verifyPart(p: CrlPart, caX509: X509Certificate): boolean {
  if (p.algorithm.hash === undefined) return false;
  try {
    const key = p.algorithm.isPss
      ? {
          key: caX509.publicKey,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: p.algorithm.saltLength ?? 20,
        }
      : caX509.publicKey;
    return verify(p.algorithm.hash, p.tbs, key, p.signature);
  } catch {
    return false;
  }
}

/**
 * Issuer, signature, algorithm, dates and RFC 5280 scope of every CRL in the file (not the server
 * rule). Each CRL must come from a CA of the bundle (same Name, and its key verifies the
 * signature). With a bundle, a CA that has no CRL in the file gets a warning: what it issued
 * cannot be revoked, yet refusing would break a rollover where the new CA has issued nothing.
 */
export function validateCrl(crl: CrlSummary, cas: CertSummary | readonly CertSummary[], now: Date): Finding[] {
  const out: Finding[] = [];
  const bundle = Array.isArray(cas) ? (cas as readonly CertSummary[]) : [cas as CertSummary];
  const signers: CrlSigner[] = bundle.map((summary) => {
    const x509 = new X509Certificate(summary.pem);
    return { summary, x509, subjectDer: subjectDerOf(x509), hasCrl: false };
  });
  for (const p of crl.parts) {
    const named = signers.filter((c) => p.issuerDer.equals(c.subjectDer));
    if (named.length === 0) {
      const which =
        bundle.length === 1
          ? `the CA '${(bundle[0] as CertSummary).subject}'`
          : `any of the ${bundle.length} CA certificates of the bundle`;
      out.push(
        error(
          'PKI_CRL_WRONG_ISSUER',
          'crl',
          `the CRL issuer '${p.issuer}' is not ${which}`,
          'give the CRL that this CA issued (openssl ca -gencrl with the CA key)',
        ),
      );
      continue;
    }
    let isVerified = false;
    if (!p.algorithm.isAllowed || p.algorithm.hash === undefined) {
      out.push(
        error(
          'PKI_CRL_WEAK_SIGNATURE',
          'crl',
          `the CRL of '${p.issuer}' is signed with ${p.algorithm.name}; only sha256 or sha512 with RSA is accepted`,
          'regenerate it: openssl ca -gencrl -md sha256 -out ca.crl',
        ),
      );
    } else {
      const signer = named.find((c) => verifyPart(p, c.x509));
      isVerified = signer !== undefined;
      if (signer !== undefined) signer.hasCrl = true;
      if (!isVerified) {
        out.push(
          error(
            'PKI_CRL_BAD_SIGNATURE',
            'crl',
            `the CRL of '${p.issuer}' has a signature that does not verify with the CA key`,
            'give the CRL signed by this CA (same name is not enough): openssl ca -gencrl -out ca.crl',
          ),
        );
      }
    }
    // Only what the CA signed is worth a scope verdict; a forged extension is a bad signature.
    if (isVerified && p.scopeFinding !== undefined) out.push(p.scopeFinding);
    if (p.thisUpdate.getTime() > now.getTime()) {
      out.push(
        error(
          'PKI_CRL_NOT_YET_VALID',
          'crl',
          `the CRL thisUpdate ${p.thisUpdate.toISOString()} is in the future`,
          'check the system clock, or regenerate the CRL',
        ),
      );
    }
    if (p.nextUpdate !== undefined && p.nextUpdate.getTime() < now.getTime()) {
      out.push(
        error(
          'PKI_CRL_EXPIRED',
          'crl',
          `the CRL nextUpdate ${p.nextUpdate.toISOString()} has passed`,
          'publish a fresh CRL: openssl ca -gencrl -out ca.crl',
        ),
      );
    }
  }
  if (bundle.length > 1 && !out.some((f) => f.severity === 'error')) out.push(...missingCrlWarnings(signers));
  return out;
}

function missingCrlWarnings(signers: readonly CrlSigner[]): Finding[] {
  return signers
    .filter((c) => !c.hasCrl)
    .map((c) =>
      warning(
        'PKI_CRL_MISSING_FOR_CA',
        'crl',
        `the CRL file holds no CRL of the CA '${c.summary.subject}' (${bundlePosition(signers.indexOf(c), signers.length)}): the certificates it issued cannot be revoked`,
        `add its CRL to the CRL file (cat root.crl intermediate.crl > ca.crl), or ignore this if it has issued nothing yet`,
      ),
    );
}
