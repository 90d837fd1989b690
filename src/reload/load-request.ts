// What crosses the thread boundary of a reload: the request, and the result as plain data.
// StreamfrontError does not survive structured clone (its class is lost), so it travels as
// its fields and is rebuilt on the main thread with the same code, file, item and hint.
import type { FrontConfig } from '../config/index.js';
import { StreamfrontError } from '../errors/error.js';
import { buildTransientReadError, isTransientErrno } from '../fs/transient-read.js';
import type { ErrorCode } from '../errors/catalogue.js';
import type { TlsMaterial } from '../material/load.js';
import type { CrlSummary } from '../pki/crl.js';
import { RevokedSerials } from '../pki/revoked-serials.js';

export interface LoadRequest {
  readonly id: number;
  readonly configPath: string;
  readonly runDir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** ms since epoch: the loader's "now" for validity checks. */
  readonly nowMs: number;
}

export interface LoadLogRecord {
  readonly level: 'warn' | 'info';
  readonly msg: string;
  readonly fields?: object | undefined;
}

export interface CarriedError {
  readonly code: ErrorCode;
  readonly message: string;
  readonly file?: string | undefined;
  readonly item?: string | undefined;
  readonly hint?: string | undefined;
}

export type LoadResult =
  | {
      readonly id: number;
      readonly ok: true;
      readonly config: FrontConfig;
      readonly material: TransferredMaterial;
      /** The CRL's table (transferred, not copied); undefined without a CRL. */
      readonly revokedSerials: ArrayBuffer | undefined;
      readonly logs: readonly LoadLogRecord[];
    }
  | { readonly id: number; readonly ok: false; readonly error: CarriedError; readonly logs: readonly LoadLogRecord[] };

export interface LoadedSet {
  readonly config: FrontConfig;
  readonly material: TlsMaterial;
}

export function carryError(err: unknown): CarriedError {
  if (err instanceof StreamfrontError)
    return { code: err.code, message: err.message, file: err.file, item: err.item, hint: err.hint };
  // An OS shortage met outside the readers that name their file (a directory listing, say) still passes.
  if (isTransientErrno(err))
    return carryError(
      buildTransientReadError((err as NodeJS.ErrnoException).path ?? 'material', 'a material file', err),
    );
  // Anything else is a bug or an OS surprise: its first line only, never a stack or input bytes.
  const first = err instanceof Error ? (err.message.split('\n')[0] ?? 'error') : String(err);
  return { code: 'MATERIAL_INVALID', message: `reload failed unexpectedly (${first})` };
}

export function rebuildError(carried: CarriedError): StreamfrontError {
  return new StreamfrontError(carried.code, carried.message, {
    file: carried.file,
    item: carried.item,
    hint: carried.hint,
  });
}

/** A further issuer's table as it crosses: the bare buffer (a class instance would lose its prototype). */
export interface TransferredIssuer {
  readonly issuer: string;
  readonly issuerKey: string;
  readonly buffer: ArrayBuffer;
}

/** The CRL as it crosses: its table travels apart, as a transferred ArrayBuffer; the parts stay behind. */
export type TransferredCrl = Omit<CrlSummary, 'revokedSerials' | 'parts' | 'otherIssuers'> & {
  readonly otherIssuers: readonly TransferredIssuer[];
};
export type TransferredMaterial = Omit<TlsMaterial, 'crl'> & { readonly crl?: TransferredCrl | undefined };

/** A worker whose load carried a table this large is retired: its idle heap would keep the file's buffers. */
export const RETIRE_WORKER_AFTER_BYTES = 4 * 1024 * 1024;

/**
 * The material as it crosses to the main thread. The revoked serials are one flat table
 * (pki/revoked-serials.ts) whose ArrayBuffer is transferred, not copied: the main thread wraps
 * it in O(1), so even 1,000,000 entries cost the serving thread no stall. Each part's DER stays
 * in the worker.
 */
export function forTransfer(material: TlsMaterial): {
  material: TransferredMaterial;
  revokedSerials: ArrayBuffer | undefined;
} {
  if (material.crl === undefined) return { material: { ...material, crl: undefined }, revokedSerials: undefined };
  const { revokedSerials, parts: _parts, otherIssuers, ...rest } = material.crl;
  const others = otherIssuers.map((o) => ({
    issuer: o.issuer,
    issuerKey: o.issuerKey,
    buffer: o.revokedSerials.buffer,
  }));
  return { material: { ...material, crl: { ...rest, otherIssuers: others } }, revokedSerials: revokedSerials.buffer };
}

/** Every table buffer of a transferred material: the transfer list of a postMessage. */
export function transferablesOf(material: TransferredMaterial, revokedSerials: ArrayBuffer | undefined): ArrayBuffer[] {
  if (revokedSerials === undefined) return [];
  return [revokedSerials, ...(material.crl?.otherIssuers ?? []).map((o) => o.buffer)];
}

/** The material as the main thread uses it, around the transferred table. */
export function fromTransfer(material: TransferredMaterial, revokedSerials: ArrayBuffer | undefined): TlsMaterial {
  if (material.crl === undefined || revokedSerials === undefined) return { ...material, crl: undefined };
  const otherIssuers = material.crl.otherIssuers.map((o) => ({
    issuer: o.issuer,
    issuerKey: o.issuerKey,
    revokedSerials: new RevokedSerials(o.buffer),
  }));
  return {
    ...material,
    crl: { ...material.crl, parts: [], revokedSerials: new RevokedSerials(revokedSerials), otherIssuers },
  };
}
