// Secure context options from material: every option, every time, because setSecureContext
// replaces the whole context; validated by building a context before anything is swapped.
import { constants } from 'node:crypto';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { StreamfrontError } from '../errors/error.js';
import { buildTls13Suites } from './cipher-policy.js';
import { buildServedChain } from './served-chain.js';
import type { FrontServingConfig } from '../config/items.js';
import type { FrontMaterial } from './types.js';

export function buildSecureContextOptions(
  config: Pick<FrontServingConfig, 'cipherList'>,
  material: FrontMaterial,
): SecureContextOptions {
  // cipher_list is the one policy: TLS 1.3 offers only the AEADs it names (never ChaCha20).
  const tls13Suites = buildTls13Suites(config.cipherList);
  return {
    ca: material.caPem,
    cert: buildServedChain(material.certPem, material.caPem),
    key: material.keyPem,
    ciphers: [...tls13Suites, config.cipherList].join(':'),
    honorCipherOrder: true,
    minVersion: 'TLSv1.2',
    // With no TLS 1.3 suite in `ciphers`, Node keeps OpenSSL's defaults (ChaCha20 included)
    // for TLS 1.3 rather than none, so TLS 1.3 is switched off instead.
    maxVersion: tls13Suites.length === 0 ? 'TLSv1.2' : 'TLSv1.3',
    sessionTimeout: 300,
    // TLS 1.2 renegotiation has no use here and is a CPU-exhaustion lever (Node only rate-limits
    // it); TLS 1.3 has none. OpenSSL answers a renegotiating client with a fatal alert.
    secureOptions: constants.SSL_OP_NO_RENEGOTIATION,
  };
}

/** Throws FRONT_TLS_CONTEXT (OpenSSL's reason only, never PEM bytes) when OpenSSL refuses the set. */
export function validateSecureContext(options: SecureContextOptions): void {
  try {
    createSecureContext(options);
  } catch (err) {
    const reason =
      err instanceof Error ? ((err as NodeJS.ErrnoException).code ?? err.message.split('\n')[0]) : 'unknown';
    throw new StreamfrontError(
      'FRONT_TLS_CONTEXT',
      `the server certificate, key, CA or cipher list was refused by OpenSSL (${reason})`,
      {
        item: 'server_crt/server_key/ca_crt',
        hint: 'check that server_key matches server_crt and that the files are PEM; the previous material keeps serving',
        cause: err,
      },
    );
  }
}
