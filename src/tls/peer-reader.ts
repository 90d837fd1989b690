// A connection's identity at the handshake in tens of microseconds instead of hundreds. The full
// read (readPeerIdentity: Node's detailed peer certificate, every certificate of the chain turned
// into a JavaScript object, then the leaf parsed again) cost ~290 µs a connection, a tenth of a
// full mTLS handshake and more than the whole gap to the floor on resumed sessions. Here:
// - the leaf's DER from Node's short form (~20 µs) and its SHA-256, which is also the XFCC hash;
// - the leaf's parsed identity (subject, XFCC, serial) kept per distinct certificate, by that hash;
// - the chain above the leaf looked up by its issuer in an index of the CA file, built once per
//   material: a certificate whose issuer is a CA of the file verified through that CA's own path.
// A leaf whose issuer is not in the CA file (an intermediate the client sent itself) or whose
// issuer's name two CAs of the file share takes the full read, which is exactly what it was.
import { createHash, X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { isIssuedBy, issuerInBundle } from '../pki/ca-bundle.js';
import { subjectKeyOfCertificate } from '../pki/issuer-key.js';
import { isPem, pemBlocks } from '../pki/pem.js';
import { parsePeerIdentity, readPeerIdentity, revocationKeyOf, type PeerIdentity, type RevocationKey } from './peer.js';

/** Distinct client certificates whose parsed identity is kept; the oldest goes first. */
export const LEAF_CACHE_SIZE = 1024;
/** As in peer.ts: longer paths are not a PKI this front is meant for. */
const MAX_CHAIN = 8;

type LeafIdentity = Omit<PeerIdentity, 'chain'>;

interface CaEntry {
  readonly der: Buffer;
  readonly x509: X509Certificate;
}

/**
 * For each CA of the file, by its subject key: the revocation keys of the path a certificate it
 * issued is verified through (that CA, then its issuers, the self-signed root excluded). null
 * where the file cannot say alone: two CAs with the same subject, or a path that reaches no root.
 */
export function chainIndexOf(caPem: string): ReadonlyMap<string, readonly RevocationKey[] | null> {
  const bytes = Buffer.from(caPem);
  const ders = isPem(bytes) ? pemBlocks(bytes, 'CERTIFICATE') : [bytes];
  const cas: CaEntry[] = [];
  for (const der of ders) if (!cas.some((c) => c.der.equals(der))) cas.push({ der, x509: new X509Certificate(der) });
  const index = new Map<string, readonly RevocationKey[] | null>();
  for (const ca of cas) {
    const key = subjectKeyOfCertificate(ca.der);
    index.set(key, index.has(key) ? null : pathAbove(ca, cas));
  }
  return index;
}

function pathAbove(start: CaEntry, cas: readonly CaEntry[]): RevocationKey[] | null {
  const path: RevocationKey[] = [];
  let current = start;
  for (let depth = 0; depth <= MAX_CHAIN; depth++) {
    if (isIssuedBy(current.x509, current.x509)) return path; // the root: not revocable by a CRL
    path.push(revocationKeyOf(current.der));
    const issuer = issuerInBundle(current.x509, cas);
    if (issuer === undefined) return null;
    current = issuer;
  }
  return null;
}

export class PeerReader {
  private chains: ReadonlyMap<string, readonly RevocationKey[] | null>;
  private readonly leaves = new Map<string, LeafIdentity>();

  constructor(caPem: string) {
    this.chains = chainIndexOf(caPem);
  }

  /** A new CA file (a reload): the chain index follows it; parsed leaves do not depend on it. */
  useCaFile(caPem: string): void {
    this.chains = chainIndexOf(caPem);
  }

  /** The same identity readPeerIdentity gives, for a connection whose handshake has finished. */
  read(socket: TLSSocket): PeerIdentity | undefined {
    const raw = socket.getPeerCertificate(false)?.raw as Buffer | undefined;
    if (raw === undefined) return undefined;
    const leaf = this.leafOf(raw);
    const chain = this.chains.get(leaf.issuerKey);
    if (chain === undefined || chain === null) return readPeerIdentity(socket);
    return { ...leaf, chain };
  }

  private leafOf(raw: Buffer): LeafIdentity {
    const hash = createHash('sha256').update(raw).digest('hex');
    let leaf = this.leaves.get(hash);
    if (leaf === undefined) {
      const { chain: _none, ...parsed } = parsePeerIdentity(new X509Certificate(raw)) as PeerIdentity;
      leaf = parsed;
      if (this.leaves.size >= LEAF_CACHE_SIZE) this.leaves.delete(this.leaves.keys().next().value as string);
      this.leaves.set(hash, leaf);
    }
    return leaf;
  }
}
