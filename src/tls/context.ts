// Secure context options from material: every option, every time, because setSecureContext
// replaces the whole context; validated by building a context before anything is swapped.
import { constants } from 'node:crypto';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { StreamfrontError } from '../errors/error.js';
import type { FrontMaterial, FrontServingConfig } from './types.js';

/** TLS 1.3 suites (AEAD only); cipher_list governs TLS 1.2. */
export const TLS13_SUITES = 'TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256';

export function buildSecureContextOptions(config: Pick<FrontServingConfig, 'cipherList'>, material: FrontMaterial): SecureContextOptions {
  return {
    ca: material.caPem,
    cert: material.certPem,
    key: material.keyPem,
    ciphers: `${TLS13_SUITES}:${config.cipherList}`,
    honorCipherOrder: true,
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.3',
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
    const reason = err instanceof Error ? (err as NodeJS.ErrnoException).code ?? err.message.split('\n')[0] : 'unknown';
    throw new StreamfrontError('FRONT_TLS_CONTEXT', `the server certificate, key, CA or cipher list was refused by OpenSSL (${reason})`, {
      item: 'server_crt/server_key/ca_crt',
      hint: 'check that server_key matches server_crt and that the files are PEM; the previous material keeps serving',
      cause: err,
    });
  }
}
