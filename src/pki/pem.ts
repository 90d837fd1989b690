// Splits PEM text into its blocks of one label, or takes the input as DER when it is not
// PEM: certificates and CRLs may come either way.
export function isPem(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 4096))
    .toString('latin1')
    .includes('-----BEGIN ');
}

/**
 * The DER of each block. Markers are found in the bytes and each body is decoded on its own
 * (Node's base64 decoder skips line breaks), so a 35 MB CRL is never one big string.
 */
export function pemBlocks(bytes: Uint8Array, label: string): Buffer[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const begin = `-----BEGIN ${label}-----`;
  const end = `-----END ${label}-----`;
  const out: Buffer[] = [];
  for (let at = buf.indexOf(begin, 0, 'latin1'); at !== -1; at = buf.indexOf(begin, at, 'latin1')) {
    const bodyStart = at + begin.length;
    const bodyEnd = buf.indexOf(end, bodyStart, 'latin1');
    if (bodyEnd === -1) break;
    out.push(Buffer.from(buf.toString('latin1', bodyStart, bodyEnd), 'base64'));
    at = bodyEnd + end.length;
  }
  return out;
}

export function toPem(der: Uint8Array, label: string): string {
  const b64 = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}
