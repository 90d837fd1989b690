// Certificate serials in the one form the revocation set uses: uppercase hex, no leading
// zeros (the same rule as pki's normalizeSerial, so Node's peer serial matches CRL entries).
export function normalizeSerial(hex: string): string {
  const upper = hex.replace(/:/g, '').toUpperCase();
  let i = 0;
  while (i < upper.length - 1 && upper.charCodeAt(i) === 48 /* '0' */) i++;
  return upper.slice(i);
}
