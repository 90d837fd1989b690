// RFC 5280 scope rules for CRL and entry extensions. The front enforces a CRL as the complete
// list of its CA's revoked certificates, so anything that says otherwise (a delta, a partial or
// indirect scope, a critical extension it does not understand) refuses the CRL instead.
import { decodeOid, readTlv, type Tlv } from './der.js';
import { error, type Finding } from './findings.js';

const OID_DELTA_CRL_INDICATOR = '2.5.29.27';
const OID_ISSUING_DISTRIBUTION_POINT = '2.5.29.28';
const OID_CERTIFICATE_ISSUER = '2.5.29.29';
const OID_REASON_CODE = '2.5.29.21';
/** CRL extensions a complete CRL may carry, critical or not, without changing its scope. */
const KNOWN_CRL_EXTENSIONS = new Set([
  '2.5.29.20' /* cRLNumber */,
  '2.5.29.35' /* authorityKeyIdentifier */,
  '2.5.29.18' /* issuerAltName */,
  '2.5.29.46' /* freshestCRL */,
  '1.3.6.1.5.5.7.1.1' /* authorityInfoAccess */,
]);
/** Entry extensions that do not change which certificate an entry is about. */
const KNOWN_ENTRY_EXTENSIONS = new Set([OID_REASON_CODE, '2.5.29.24' /* invalidityDate */]);

/** CRLReason values (RFC 5280 5.3.1) with a rule of their own. */
export const REASON_CERTIFICATE_HOLD = 6;
export const REASON_REMOVE_FROM_CRL = 8;

interface Extension {
  oid: string;
  isCritical: boolean;
  value: Tlv;
}

function* extensionsOf(der: Uint8Array, list: Tlv): Generator<Extension> {
  for (let pos = list.bodyStart; pos < list.end; ) {
    const ext = readTlv(der, pos, list.end);
    pos = ext.end;
    const oid = readTlv(der, ext.bodyStart, ext.end);
    let next = readTlv(der, oid.end, ext.end);
    let isCritical = false;
    if (next.tag === 0x01) {
      isCritical = der[next.bodyStart] !== 0;
      next = readTlv(der, next.end, ext.end);
    }
    yield { oid: decodeOid(der, oid), isCritical, value: next };
  }
}

const hintComplete =
  'give the complete CRL of the CA (openssl ca -gencrl -out ca.crl); streamfront enforces complete CRLs only';

/** The IDP fields that narrow a CRL's scope (RFC 5280 5.2.5), by context tag. */
const NARROWING_IDP_FIELDS: Record<number, string> = {
  0x81: 'onlyContainsUserCerts',
  0x82: 'onlyContainsCACerts',
  0x83: 'onlySomeReasons',
  0x85: 'onlyContainsAttributeCerts',
};

function checkIssuingDistributionPoint(der: Uint8Array, octets: Tlv): Finding | undefined {
  const idp = readTlv(der, octets.bodyStart, octets.end);
  for (let pos = idp.bodyStart; pos < idp.end; ) {
    const field = readTlv(der, pos, idp.end);
    pos = field.end;
    // BOOLEAN fields are present only when TRUE in DER; a FALSE one narrows nothing.
    const isTrue = field.tag === 0x83 || der[field.bodyStart] !== 0;
    if (field.tag === 0x84 && isTrue) {
      return error(
        'PKI_CRL_INDIRECT',
        'crl',
        'the CRL is an indirect CRL (issuingDistributionPoint indirectCRL, RFC 5280 5.2.5): its entries may belong to other CAs',
        hintComplete,
      );
    }
    const name = NARROWING_IDP_FIELDS[field.tag];
    if (name !== undefined && isTrue) {
      return error(
        'PKI_CRL_PARTIAL_SCOPE',
        'crl',
        `the CRL covers only part of the CA's certificates (issuingDistributionPoint ${name}, RFC 5280 5.2.5)`,
        hintComplete,
      );
    }
  }
  return undefined;
}

/** The first reason the crlExtensions ([0] EXPLICIT Extensions) forbid enforcing this CRL as complete. */
export function checkCrlExtensions(der: Uint8Array, list: Tlv): Finding | undefined {
  for (const ext of extensionsOf(der, list)) {
    if (ext.oid === OID_DELTA_CRL_INDICATOR) {
      return error(
        'PKI_CRL_DELTA',
        'crl',
        'the CRL is a delta CRL (deltaCRLIndicator, RFC 5280 5.2.4): it lists only the changes since a base CRL',
        hintComplete,
      );
    }
    if (ext.oid === OID_ISSUING_DISTRIBUTION_POINT) {
      const narrowed = checkIssuingDistributionPoint(der, ext.value);
      if (narrowed !== undefined) return narrowed;
      continue;
    }
    if (ext.isCritical && !KNOWN_CRL_EXTENSIONS.has(ext.oid)) {
      return error(
        'PKI_CRL_UNKNOWN_CRITICAL_EXTENSION',
        'crl',
        `the CRL has a critical extension streamfront does not know (${ext.oid}); RFC 5280 5.2 forbids using such a CRL`,
        'issue the CRL without that extension, or mark it non-critical',
      );
    }
  }
  return undefined;
}

export interface EntryVerdict {
  reason?: number | undefined;
  finding?: Finding | undefined;
}

/** The reasonCode of an entry, or the reason its crlEntryExtensions forbid using the CRL. */
export function checkEntryExtensions(der: Uint8Array, list: Tlv, serialHex: () => string): EntryVerdict {
  let reason: number | undefined;
  for (const ext of extensionsOf(der, list)) {
    if (ext.oid === OID_CERTIFICATE_ISSUER) {
      return {
        finding: error(
          'PKI_CRL_INDIRECT',
          'crl',
          `the CRL entry for serial ${serialHex()} names another certificate issuer (certificateIssuer, RFC 5280 5.3.3): an indirect CRL`,
          hintComplete,
        ),
      };
    }
    if (ext.oid === OID_REASON_CODE) {
      const value = readTlv(der, ext.value.bodyStart, ext.value.end);
      reason = der[value.end - 1];
      if (reason === REASON_REMOVE_FROM_CRL) {
        return {
          reason,
          finding: error(
            'PKI_CRL_REMOVE_FROM_CRL',
            'crl',
            `the CRL entry for serial ${serialHex()} has reason removeFromCRL, which RFC 5280 5.3.1 allows in delta CRLs only`,
            hintComplete,
          ),
        };
      }
      continue;
    }
    if (ext.isCritical && !KNOWN_ENTRY_EXTENSIONS.has(ext.oid)) {
      return {
        finding: error(
          'PKI_CRL_UNKNOWN_CRITICAL_EXTENSION',
          'crl',
          `the CRL entry for serial ${serialHex()} has a critical extension streamfront does not know (${ext.oid}); RFC 5280 5.3 forbids using such a CRL`,
          'issue the CRL without that extension, or mark it non-critical',
        ),
      };
    }
  }
  return { reason };
}
