// The whole certificate verdict (CA bundle, server certificate, CRL) from bytes and a time: the
// one entry point the loader calls for everything except the key.
import { issuerInBundle, parseCaBundle, validateCaBundle } from './ca-bundle.js';
import { parseCertificate, validateServerCert, type CertSummary, type ParsedCert } from './certificate.js';
import { parseCrl, revokedSerialsOf, validateCrl, type CrlSummary } from './crl.js';
import { error, PkiError, type Finding } from './findings.js';
import { issuerKeyOfCertificate } from './issuer-key.js';

export interface CertificateInput {
  ca: Uint8Array;
  serverCert: Uint8Array;
  crl?: Uint8Array | undefined;
  now: Date;
}
export interface CertificateVerdict {
  findings: Finding[];
  /** The first certificate of the CA file (the only one of a single-CA file). */
  ca?: CertSummary;
  /** Every certificate of the CA file, in file order. */
  caBundle?: CertSummary[];
  serverCert?: CertSummary;
  crl?: CrlSummary;
}

export function validateCertificates(input: CertificateInput): CertificateVerdict {
  const findings: Finding[] = [];
  const verdict: CertificateVerdict = { findings };
  const bundle = parseCaBundle(input.ca);
  const server = parseCertificate(input.serverCert, 'server-cert');
  if ('code' in bundle) findings.push(bundle);
  else {
    verdict.ca = (bundle[0] as (typeof bundle)[number]).summary;
    verdict.caBundle = bundle.map((c) => c.summary);
    findings.push(...validateCaBundle(bundle, input.now));
  }
  if ('code' in server) findings.push(server);
  else verdict.serverCert = server.summary;
  if ('code' in bundle || 'code' in server) return verdict;
  findings.push(
    ...validateServerCert(server, bundle.length === 1 ? (bundle[0] as (typeof bundle)[number]) : bundle, input.now),
  );
  if (input.crl !== undefined) {
    try {
      const crl = parseCrl(input.crl);
      verdict.crl = crl;
      findings.push(...validateCrl(crl, verdict.caBundle as CertSummary[], input.now));
      // The server's own issuer's list: with one CA that is the whole file, as it always was.
      const listing =
        crl.otherIssuers.length === 0 ? crl.revokedSerials : revokedSerialsOf(crl, issuerKeyOfCertificate(server.der));
      if (listing?.has(server.summary.serial) === true) {
        findings.push(
          error(
            'PKI_CRL_REVOKES_SERVER',
            'crl',
            `the CRL revokes the server certificate '${server.summary.subject}' (serial ${server.summary.serial})`,
            'issue a new server certificate, or give the current CRL',
          ),
        );
      }
      findings.push(...revokedCasAboveServer(server, bundle, crl));
    } catch (err) {
      if (err instanceof PkiError) findings.push(err.finding);
      else throw err;
    }
  }
  return verdict;
}

/**
 * The CAs between the server certificate and its root, each against its own issuer's CRL: a root
 * that revokes the intermediate which issued the server certificate has revoked the server too
 * (RFC 5280 6.1.3), and clients that check the whole path would refuse the front.
 */
function revokedCasAboveServer(server: ParsedCert, bundle: readonly ParsedCert[], crl: CrlSummary): Finding[] {
  const out: Finding[] = [];
  const seen = new Set<ParsedCert>();
  let current = issuerInBundle(server.x509, bundle);
  while (current !== undefined && !seen.has(current)) {
    seen.add(current);
    const issuer = issuerInBundle(current.x509, bundle);
    if (issuer === undefined) break; // a root: nothing above it to revoke it
    if (revokedSerialsOf(crl, issuerKeyOfCertificate(current.der))?.has(current.summary.serial) === true) {
      out.push(
        error(
          'PKI_CRL_REVOKES_SERVER_CA',
          'crl',
          `the CRL of '${issuer.summary.subject}' revokes the CA '${current.summary.subject}' (serial ${current.summary.serial}) that the server certificate '${server.summary.subject}' chains through`,
          'issue the server certificate from a CA that is not revoked, or give the current CRL',
        ),
      );
    }
    current = issuer;
  }
  return out;
}
