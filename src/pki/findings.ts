// The verdict vocabulary of pki/: a Finding is one rule's outcome with the role it is about,
// and PkiError carries a Finding where a function must throw (parseCrl).
import type { ErrorCode } from '../errors/catalogue.js';
import { StreamfrontError } from '../errors/error.js';

/** The four files of a material set, in the order messages and metrics list them. */
export const MATERIAL_ROLES = ['ca', 'server-cert', 'server-key', 'crl'] as const;
export type MaterialRole = (typeof MATERIAL_ROLES)[number];

/** How a message names each file: "the <label> ...". */
export const ROLE_LABELS: Readonly<Record<MaterialRole, string>> = {
  ca: 'CA certificate',
  'server-cert': 'server certificate',
  'server-key': 'server private key',
  crl: 'CRL',
};

export interface Finding {
  severity: 'error' | 'warning';
  code: ErrorCode;
  role: MaterialRole;
  message: string;
  hint: string;
}

export function error(code: ErrorCode, role: MaterialRole, message: string, hint: string): Finding {
  return { severity: 'error', code, role, message, hint };
}
export function warning(code: ErrorCode, role: MaterialRole, message: string, hint: string): Finding {
  return { severity: 'warning', code, role, message, hint };
}
export function hasErrors(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity === 'error');
}

export class PkiError extends StreamfrontError {
  readonly finding: Finding;
  constructor(finding: Finding) {
    super(finding.code, finding.message, { hint: finding.hint });
    this.finding = finding;
  }
}
