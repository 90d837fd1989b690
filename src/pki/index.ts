// The pure PKI core: bytes and a time in, a verdict with reasons out. No file system, no
// clock, no environment; the loader (src/material) does the I/O.
export type { MaterialRole, Finding } from './findings.js';
export { MATERIAL_ROLES, ROLE_LABELS } from './findings.js';
export { hasErrors, PkiError } from './findings.js';
export type { CertSummary } from './certificate.js';
export type { CrlSummary, CrlPart } from './crl.js';
export { parseCrl, revokedCountOf, validateCrl } from './crl.js';
export { inspectServerKey, validateServerKey } from './key.js';
export { validateCertificates, type CertificateInput, type CertificateVerdict } from './validate.js';
export { normalizeSerial } from './serial.js';
export { RevokedSerials, RevokedSerialsBuilder } from './revoked-serials.js';
export { hashSerialKey, SERIAL_KEY_BYTES, serialKeyFromHex, writeSerialKey } from './serial-key.js';
export { issuerKeyOfCertificate, serialTlvOfCertificate } from './issuer-key.js';
