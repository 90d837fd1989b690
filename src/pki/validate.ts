// The whole certificate verdict (CA, server certificate, CRL) from bytes and a time: the
// one entry point the loader calls for everything except the key.
import { parseCertificate, validateCa, validateServerCert, type CertSummary } from './certificate.js';
import { parseCrl, validateCrl, type CrlSummary } from './crl.js';
import { error, PkiError, type Finding } from './findings.js';

export interface CertificateInput {
  ca: Uint8Array;
  serverCert: Uint8Array;
  crl?: Uint8Array | undefined;
  now: Date;
}
export interface CertificateVerdict {
  findings: Finding[];
  ca?: CertSummary;
  serverCert?: CertSummary;
  crl?: CrlSummary;
}

export function validateCertificates(input: CertificateInput): CertificateVerdict {
  const findings: Finding[] = [];
  const verdict: CertificateVerdict = { findings };
  const ca = parseCertificate(input.ca, 'ca');
  const server = parseCertificate(input.serverCert, 'server-cert');
  if ('code' in ca) findings.push(ca);
  else {
    verdict.ca = ca.summary;
    findings.push(...validateCa(ca, input.now));
  }
  if ('code' in server) findings.push(server);
  else verdict.serverCert = server.summary;
  if ('code' in ca || 'code' in server) return verdict;
  findings.push(...validateServerCert(server, ca, input.now));
  if (input.crl !== undefined) {
    try {
      const crl = parseCrl(input.crl);
      verdict.crl = crl;
      findings.push(...validateCrl(crl, ca.summary, input.now));
      if (crl.revokedSerials.has(server.summary.serial)) {
        findings.push(
          error(
            'PKI_CRL_REVOKES_SERVER',
            'crl',
            `the CRL revokes the server certificate '${server.summary.subject}' (serial ${server.summary.serial})`,
            'issue a new server certificate, or give the current CRL',
          ),
        );
      }
    } catch (err) {
      if (err instanceof PkiError) findings.push(err.finding);
      else throw err;
    }
  }
  return verdict;
}
