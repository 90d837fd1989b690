// The TLS 1.3 suites the front offers, derived from cipher_list: one policy for both versions,
// so TLS 1.3 never offers an AEAD the operator did not name (ChaCha20 above all).
// The table is keyed by the suites config/items.ts allows; a unit test keeps the two in step
// (tls/ reads config values structurally and imports nothing from config/).
export type Tls13Suite = 'TLS_AES_256_GCM_SHA384' | 'TLS_AES_128_GCM_SHA256' | 'TLS_AES_128_CCM_SHA256';

/**
 * The TLS 1.3 suite with the same AEAD (cipher, key size and mode) as each allowed TLS 1.2
 * suite; key exchange and signature are negotiated apart in TLS 1.3, so ECDHE-RSA and
 * ECDHE-ECDSA map alike. AES-256-CCM maps to none: TLS 1.3 defines no such suite, and the
 * neighbours would change what the operator chose (AES-128-CCM a shorter key, AES-256-GCM
 * another mode), so it stays a TLS 1.2 suite only.
 */
export const TLS13_SUITE_OF: Readonly<Record<string, Tls13Suite | undefined>> = {
  'ECDHE-ECDSA-AES128-CCM': 'TLS_AES_128_CCM_SHA256',
  'ECDHE-ECDSA-AES256-CCM': undefined,
  'ECDHE-ECDSA-AES128-GCM-SHA256': 'TLS_AES_128_GCM_SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384': 'TLS_AES_256_GCM_SHA384',
  'ECDHE-RSA-AES128-GCM-SHA256': 'TLS_AES_128_GCM_SHA256',
  'ECDHE-RSA-AES256-GCM-SHA384': 'TLS_AES_256_GCM_SHA384',
};

/**
 * TLS 1.3 suites for a cipher_list already checked by the config rules, in the order of their
 * first TLS 1.2 counterpart (the server's preference, as honorCipherOrder applies it), without
 * repeats. Empty when no entry has a TLS 1.3 counterpart: the caller must then turn TLS 1.3
 * off, since Node leaves OpenSSL's default suites (ChaCha20 included) when it is given none.
 * A name outside the allowed set throws: it would mean the config rules were bypassed.
 */
export function buildTls13Suites(cipherList: string): Tls13Suite[] {
  const suites: Tls13Suite[] = [];
  for (const name of cipherList.split(':')) {
    if (!Object.hasOwn(TLS13_SUITE_OF, name))
      throw new Error(`cipher_list entry '${name}' is not one of the allowed suites`);
    const suite = TLS13_SUITE_OF[name];
    if (suite !== undefined && !suites.includes(suite)) suites.push(suite);
  }
  return suites;
}
