// Makes the demo's throw-away PKI: a CA, a server certificate with an encrypted key, a good
// client, a revoked client and a CRL. Keys come from node:crypto; node-forge signs certificates.
import { createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import forge from 'node-forge';

const { asn1, pki } = forge;

export interface DemoPki {
  readonly caCertPem: string;
  readonly serverCertPem: string;
  /** PKCS#8, AES-256-CBC under `serverKeyPassword`. */
  readonly serverKeyPem: string;
  readonly serverKeyPassword: string;
  readonly clientCertPem: string;
  readonly clientKeyPem: string;
  readonly revokedClientCertPem: string;
  readonly revokedClientKeyPem: string;
  readonly crlPem: string;
}

interface Issued {
  readonly cert: forge.pki.Certificate;
  readonly key: KeyObject;
}

const DAY_MS = 86_400_000;

function newRsaKey(bits: number): KeyObject {
  return generateKeyPairSync('rsa', { modulusLength: bits }).privateKey;
}

function forgePrivateKey(key: KeyObject): forge.pki.rsa.PrivateKey {
  return pki.privateKeyFromPem(key.export({ type: 'pkcs1', format: 'pem' }).toString()) as forge.pki.rsa.PrivateKey;
}

function forgePublicKey(key: KeyObject): forge.pki.rsa.PublicKey {
  return pki.publicKeyFromPem(
    createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString(),
  ) as forge.pki.rsa.PublicKey;
}

/** Serials are random, positive and 16 bytes: never reused across demo runs. */
function randomSerialHex(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x10;
  return bytes.toString('hex');
}

function issue(options: {
  subjectCn: string;
  bits: number;
  now: Date;
  days: number;
  issuer?: Issued;
  extensions: object[];
}): Issued {
  const key = newRsaKey(options.bits);
  const cert = pki.createCertificate();
  cert.publicKey = forgePublicKey(key);
  cert.serialNumber = randomSerialHex();
  cert.validity.notBefore = new Date(options.now.getTime() - 60_000);
  cert.validity.notAfter = new Date(options.now.getTime() + options.days * DAY_MS);
  const subject = [
    { shortName: 'O', value: 'streamfront demo' },
    { shortName: 'CN', value: options.subjectCn },
  ];
  cert.setSubject(subject);
  cert.setIssuer(options.issuer === undefined ? subject : options.issuer.cert.subject.attributes);
  cert.setExtensions(options.extensions);
  const signer = options.issuer === undefined ? key : options.issuer.key;
  cert.sign(forgePrivateKey(signer), forge.md.sha256.create());
  return { cert, key };
}

function sha256WithRsaAlgorithm(): forge.asn1.Asn1 {
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    asn1.create(
      asn1.Class.UNIVERSAL,
      asn1.Type.OID,
      false,
      asn1.oidToDer(pki.oids.sha256WithRSAEncryption ?? '1.2.840.113549.1.1.11').getBytes(),
    ),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, ''),
  ]);
}

function utcTime(date: Date): forge.asn1.Asn1 {
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.UTCTIME, false, asn1.dateToUtcTime(date));
}

/** node-forge cannot write CRLs: the TBSCertList is assembled with its ASN.1 helpers and signed by node:crypto. */
export function buildCrlPem(
  issuer: Issued,
  revokedSerialsHex: readonly string[],
  thisUpdate: Date,
  nextUpdate: Date,
): string {
  const revoked = revokedSerialsHex.map((serial) =>
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, forge.util.hexToBytes(serial)),
      utcTime(thisUpdate),
    ]),
  );
  const tbsChildren = [
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, String.fromCharCode(1)), // v2
    sha256WithRsaAlgorithm(),
    pki.distinguishedNameToAsn1(issuer.cert.subject),
    utcTime(thisUpdate),
    utcTime(nextUpdate),
  ];
  if (revoked.length > 0) tbsChildren.push(asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, revoked));
  const tbs = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, tbsChildren);
  const tbsDer = Buffer.from(asn1.toDer(tbs).getBytes(), 'binary');
  const signature = sign('sha256', tbsDer, issuer.key);
  const crl = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    tbs,
    sha256WithRsaAlgorithm(),
    asn1.create(
      asn1.Class.UNIVERSAL,
      asn1.Type.BITSTRING,
      false,
      String.fromCharCode(0) + signature.toString('binary'),
    ),
  ]);
  const der = Buffer.from(asn1.toDer(crl).getBytes(), 'binary');
  const body = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN X509 CRL-----\n${body}\n-----END X509 CRL-----\n`;
}

function clientExtensions(): object[] {
  return [
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', clientAuth: true },
  ];
}

export function buildDemoPki(now: Date = new Date()): DemoPki {
  const ca = issue({
    subjectCn: 'streamfront demo CA',
    bits: 3072,
    now,
    days: 365,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  const server = issue({
    subjectCn: 'localhost',
    bits: 3072,
    now,
    days: 90,
    issuer: ca,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  const client = issue({
    subjectCn: 'demo-client',
    bits: 2048,
    now,
    days: 90,
    issuer: ca,
    extensions: clientExtensions(),
  });
  const revoked = issue({
    subjectCn: 'demo-client-revoked',
    bits: 2048,
    now,
    days: 90,
    issuer: ca,
    extensions: clientExtensions(),
  });
  const serverKeyPassword = randomBytes(18).toString('base64url');
  const pem = (cert: forge.pki.Certificate): string => pki.certificateToPem(cert).replace(/\r\n/g, '\n');
  const plainKey = (key: KeyObject): string => key.export({ type: 'pkcs8', format: 'pem' }).toString();
  return {
    caCertPem: pem(ca.cert),
    serverCertPem: pem(server.cert),
    serverKeyPem: server.key
      .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: serverKeyPassword })
      .toString(),
    serverKeyPassword,
    clientCertPem: pem(client.cert),
    clientKeyPem: plainKey(client.key),
    revokedClientCertPem: pem(revoked.cert),
    revokedClientKeyPem: plainKey(revoked.key),
    crlPem: buildCrlPem(
      ca,
      [revoked.cert.serialNumber],
      new Date(now.getTime() - 60_000),
      new Date(now.getTime() + 30 * DAY_MS),
    ),
  };
}
