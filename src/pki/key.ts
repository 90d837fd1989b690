// Server key rules: encrypted PEM (PKCS#8 or traditional with DEK-Info), decrypts with the
// password, RSA, matches the certificate; the decrypted key stays in memory as PKCS#8 PEM.
import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { error, type Finding } from './findings.js';
import type { CertSummary } from './certificate.js';

const ENCRYPT_CMD = 'openssl pkcs8 -topk8 -v2 aes-256-cbc -in server.key -out server.key.enc';

/** Is the key an encrypted PEM private key? Needs no password. */
export function inspectServerKey(keyBytes: Uint8Array): Finding[] {
  const text = Buffer.from(keyBytes).toString('latin1');
  // A block cut short (a copy that stopped early) fails to decrypt like a wrong password would;
  // said as what it is, so the operator fixes the file instead of retyping the password.
  const begin = /-----BEGIN ((?:ENCRYPTED |RSA |EC |DSA )?PRIVATE KEY)-----/.exec(text);
  if (begin !== null && !text.includes(`-----END ${begin[1] as string}-----`, begin.index)) {
    return [
      error(
        'PKI_KEY_UNPARSABLE',
        'server-key',
        `the server key is cut off (-----BEGIN ${begin[1] as string}----- has no END line)`,
        'copy the whole key file again; check it with: openssl pkey -in server.key -noout',
      ),
    ];
  }
  if (text.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----')) return [];
  const trad = /-----BEGIN (RSA|EC|DSA) PRIVATE KEY-----([\s\S]*?)-----END/.exec(text);
  if (trad && /Proc-Type:\s*4,ENCRYPTED/.test(trad[2] ?? '') && /DEK-Info:/.test(trad[2] ?? '')) return [];
  if (trad || text.includes('-----BEGIN PRIVATE KEY-----')) {
    return [
      error(
        'PKI_KEY_NOT_ENCRYPTED',
        'server-key',
        'the server key is not encrypted; streamfront accepts only an encrypted key (PKCS#8 ENCRYPTED PRIVATE KEY or PEM with DEK-Info)',
        `encrypt it and import the encrypted file: ${ENCRYPT_CMD}`,
      ),
    ];
  }
  return [
    error(
      'PKI_KEY_UNPARSABLE',
      'server-key',
      'the server key is not a PEM private key (no -----BEGIN ENCRYPTED PRIVATE KEY----- block)',
      `convert it to encrypted PKCS#8 PEM: ${ENCRYPT_CMD} (add -inform DER for a DER key)`,
    ),
  ];
}

function spki(key: KeyObject): Buffer {
  return key.export({ type: 'spki', format: 'der' });
}

export function validateServerKey(
  keyBytes: Uint8Array,
  password: string,
  serverCert: CertSummary,
): { findings: Finding[]; keyPem?: string } {
  const findings = inspectServerKey(keyBytes);
  if (findings.length > 0) return { findings };
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: Buffer.from(keyBytes), format: 'pem', passphrase: password });
  } catch {
    return {
      findings: [
        error(
          'PKI_KEY_BAD_PASSWORD',
          'server-key',
          'the server key does not decrypt with the given password',
          'enter the password the key was encrypted with; check it with: openssl pkey -in server.key -noout',
        ),
      ],
    };
  }
  if (key.asymmetricKeyType !== 'rsa') {
    return {
      findings: [
        error(
          'PKI_KEY_NOT_RSA',
          'server-key',
          `the server key is ${String(key.asymmetricKeyType).toUpperCase()}, not RSA`,
          'use an RSA key of 3072 bits or more',
        ),
      ],
    };
  }
  const certKey = new X509Certificate(serverCert.pem).publicKey;
  if (!spki(createPublicKey(key)).equals(spki(certKey))) {
    return {
      findings: [
        error(
          'PKI_KEY_MISMATCH',
          'server-key',
          `the server key does not match the public key of the server certificate '${serverCert.subject}' (serial ${serverCert.serial})`,
          'give the key the server certificate was issued for; compare: openssl x509 -in server.crt -noout -pubkey and openssl pkey -in server.key -pubout',
        ),
      ],
    };
  }
  return { findings: [], keyPem: key.export({ type: 'pkcs8', format: 'pem' }) as string };
}
