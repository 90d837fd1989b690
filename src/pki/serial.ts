// One spelling for certificate serial numbers, so a CRL entry, a parsed certificate and
// the peer certificate Node hands the TLS layer compare equal.
export function normalizeSerial(hex: string): string {
  const s = hex.replace(/[:\s]/g, '').toUpperCase().replace(/^0+/, '');
  return s === '' ? '0' : s;
}
