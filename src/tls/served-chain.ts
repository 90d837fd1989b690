// The certificate chain the front sends: the server certificate and the intermediates that
// issued it, never a self-signed (root) certificate, given to Node as its `cert` option.
//
// Why `cert` must carry the intermediates: OpenSSL sends the certificates added with the
// server certificate when there are any; when there are none it builds the chain itself from
// the verify store (Node's `ca`, which must hold the root to verify clients) and sends it
// whole, root included (ssl_add_cert_chain). nginx turns that off with SSL_MODE_NO_AUTO_CHAIN;
// Node 20 clears that mode in every context and offers no separate chain store. So a server
// certificate issued by an intermediate is sent without the root, but one issued directly by
// the root is still sent with the root: OpenSSL adds it after this module (docs/config.md).
import { X509Certificate } from 'node:crypto';
import { pemBlocks, toPem } from '../pki/pem.js';

/** Longer paths than this are not a PKI this front is meant for; the walk stops there. */
const MAX_INTERMEDIATES = 8;

interface Candidate {
  readonly pem: string;
  readonly x509: X509Certificate;
}

function candidatesOf(pem: string): Candidate[] {
  return pemBlocks(Buffer.from(pem, 'latin1'), 'CERTIFICATE').map((der) => ({
    pem: toPem(der, 'CERTIFICATE'),
    x509: new X509Certificate(der),
  }));
}

function isIssuedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  // checkIssued compares names (and key ids); the signature makes it the actual issuer.
  return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
}

export function isSelfSigned(cert: X509Certificate): boolean {
  return isIssuedBy(cert, cert);
}

/**
 * PEM of the server certificate followed by its issuing intermediates, nearest first, taken
 * from the server certificate file's further blocks and from the CA bundle. Stops at the
 * first self-signed issuer (not included) or when no issuer is found; certificates off the
 * path (e.g. a root or an unrelated CA pasted into the server file) are left out.
 */
export function buildServedChain(certPem: string, caPem: string): string {
  let leaf: Candidate | undefined;
  let extra: Candidate[];
  let fromCa: Candidate[];
  try {
    [leaf, ...extra] = candidatesOf(certPem);
    fromCa = candidatesOf(caPem);
  } catch {
    leaf = undefined;
    extra = fromCa = [];
  }
  // Not PEM, or not certificates: given as is, so validateSecureContext reports OpenSSL's reason.
  if (leaf === undefined) return certPem;
  const pool = [...extra, ...fromCa];
  const chain: Candidate[] = [leaf];
  let current = leaf;
  while (chain.length <= MAX_INTERMEDIATES) {
    const issuer = pool.find((c) => isIssuedBy(current.x509, c.x509));
    if (issuer === undefined || isSelfSigned(issuer.x509) || chain.some((c) => c.x509.raw.equals(issuer.x509.raw)))
      break;
    chain.push(issuer);
    current = issuer;
  }
  return chain.map((c) => c.pem).join('');
}
