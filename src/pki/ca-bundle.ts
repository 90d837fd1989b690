// The CA file as a bundle: one CA certificate as before, or several (a root and its intermediates,
// or two roots during a rollover). Every one must be a CA, and each one that is not self-signed
// must chain inside the bundle to a self-signed root: OpenSSL verifies clients only up to a root.
import type { X509Certificate } from 'node:crypto';
import { parseCertificate, validateCa, type ParsedCert } from './certificate.js';
import { error, type Finding } from './findings.js';
import { isPem, pemBlocks } from './pem.js';

/** Longer paths than this are not a PKI this front is meant for (as in tls/served-chain.ts). */
const MAX_DEPTH = 8;

/** How messages name one certificate of a bundle: "certificate 2 of 3 (subject O=..., CN=...)". */
export function bundlePosition(index: number, count: number, subject?: string): string {
  const where = `certificate ${index + 1} of ${count}`;
  return subject === undefined ? where : `${where} (subject ${subject})`;
}

function prefixed(finding: Finding, where: string): Finding {
  return { ...finding, message: `${where}: ${finding.message}` };
}

/**
 * Every certificate of the CA file, in file order. A file of one certificate (or DER) is parsed
 * exactly as before; in a bundle, a block that does not parse is named by its position.
 */
export function parseCaBundle(bytes: Uint8Array): ParsedCert[] | Finding {
  const blocks = isPem(bytes) ? pemBlocks(bytes, 'CERTIFICATE') : [];
  if (blocks.length <= 1) {
    const only = parseCertificate(bytes, 'ca');
    return 'code' in only ? only : [only];
  }
  const certs: ParsedCert[] = [];
  for (const [i, der] of blocks.entries()) {
    const parsed = parseCertificate(der, 'ca');
    if ('code' in parsed) return prefixed(parsed, bundlePosition(i, blocks.length));
    certs.push(parsed);
  }
  return certs;
}

/** The signature decides: checkIssued compares names and key ids only. */
export function isIssuedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/** The certificate of the bundle that issued `cert` (itself excluded), if any. */
export function issuerInBundle<C extends { readonly x509: X509Certificate }>(
  cert: X509Certificate,
  bundle: readonly C[],
): C | undefined {
  return bundle.find((c) => !c.x509.raw.equals(cert.raw) && isIssuedBy(cert, c.x509));
}

/** Where the walk from one certificate up its issuers in the bundle ends. */
function chainProblem(start: ParsedCert, bundle: readonly ParsedCert[]): string | undefined {
  let current = start;
  for (let depth = 0; depth <= MAX_DEPTH; depth++) {
    if (isIssuedBy(current.x509, current.x509)) return undefined; // reached a root
    const issuer = issuerInBundle(current.x509, bundle);
    if (issuer === undefined) {
      // A missing issuer further up is that certificate's own problem, reported on its own.
      return current === start ? `its issuer '${start.summary.issuer}' is not in the bundle` : undefined;
    }
    current = issuer;
  }
  return `its issuers in the bundle reach no self-signed root within ${MAX_DEPTH} steps`;
}

/**
 * The CA rules for each certificate, then the chain rule. A single certificate gets exactly the
 * findings it always did (no chain rule: a lone CA is trusted as given).
 */
export function validateCaBundle(bundle: readonly ParsedCert[], now: Date): Finding[] {
  const count = bundle.length;
  if (count === 1) return validateCa(bundle[0] as ParsedCert, now);
  const out: Finding[] = [];
  for (const [i, cert] of bundle.entries()) {
    const where = bundlePosition(i, count, cert.summary.subject);
    out.push(...validateCa(cert, now).map((f) => prefixed(f, where)));
  }
  if (out.some((f) => f.severity === 'error')) return out;
  for (const [i, cert] of bundle.entries()) {
    const problem = chainProblem(cert, bundle);
    if (problem === undefined) continue;
    out.push(
      error(
        'PKI_CA_BUNDLE_DANGLING',
        'ca',
        `${bundlePosition(i, count, cert.summary.subject)} is not self-signed and ${problem}, so no client it issued can be verified up to a root`,
        `add the CA certificate that issued it (and its issuers up to the root) to the CA file, or remove it`,
      ),
    );
  }
  return out;
}
