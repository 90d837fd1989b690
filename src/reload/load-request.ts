// What crosses the thread boundary of a reload: the request, and the result as plain data.
// StreamfrontError does not survive structured clone (its class is lost), so it travels as
// its fields and is rebuilt on the main thread with the same code, file, item and hint.
import type { FrontConfig } from '../config/index.js';
import { StreamfrontError } from '../errors/error.js';
import { buildTransientReadError, isTransientErrno } from '../fs/transient-read.js';
import type { ErrorCode } from '../errors/catalogue.js';
import type { TlsMaterial } from '../material/load.js';

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
      /** crl.revokedSerials arrives empty: the serials travel as revokedSerialsText. */
      readonly material: TlsMaterial;
      readonly revokedSerialsText: string;
      readonly logs: readonly LoadLogRecord[];
    }
  | { readonly id: number; readonly ok: false; readonly error: CarriedError; readonly logs: readonly LoadLogRecord[] };

export interface LoadedSet {
  readonly config: FrontConfig;
  readonly material: TlsMaterial;
}

export function carryError(err: unknown): CarriedError {
  if (err instanceof StreamfrontError) return { code: err.code, message: err.message, file: err.file, item: err.item, hint: err.hint };
  // An OS shortage met outside the readers that name their file (a directory listing, say) still passes.
  if (isTransientErrno(err)) return carryError(buildTransientReadError((err as NodeJS.ErrnoException).path ?? 'material', 'a material file', err));
  // Anything else is a bug or an OS surprise: its first line only, never a stack or input bytes.
  const first = err instanceof Error ? err.message.split('\n')[0] ?? 'error' : String(err);
  return { code: 'MATERIAL_INVALID', message: `reload failed unexpectedly (${first})` };
}

export function rebuildError(carried: CarriedError): StreamfrontError {
  return new StreamfrontError(carried.code, carried.message, { file: carried.file, item: carried.item, hint: carried.hint });
}

const SERIAL_SEPARATOR = '\n';
const EMPTY_SERIALS: ReadonlySet<string> = new Set();

/**
 * The material as it crosses to the main thread. The parsed CRL keeps each part's DER and PEM
 * for the checks; the front needs only the serials and dates, so the bulky parts stay behind.
 * The serials go as one string: a cloned Set of 100,000 strings costs the receiving thread
 * ~35 ms in one go, one string costs a copy, and the Set is rebuilt there in slices.
 */
export function forTransfer(material: TlsMaterial): { material: TlsMaterial; revokedSerialsText: string } {
  if (material.crl === undefined) return { material, revokedSerialsText: '' };
  const revokedSerialsText = [...material.crl.revokedSerials].join(SERIAL_SEPARATOR);
  return { material: { ...material, crl: { ...material.crl, revokedSerials: EMPTY_SERIALS, pems: [], parts: [] } }, revokedSerialsText };
}

/** Serials per slice: ~2 ms of Set.add on this class of machine, far below the 50 ms budget. */
const SLICE = 10_000;

/** Rebuilds the serial Set, yielding to the event loop between slices so requests keep flowing. */
export async function serialSetFromText(text: string): Promise<Set<string>> {
  const serials = new Set<string>();
  if (text === '') return serials;
  let start = 0;
  while (start <= text.length) {
    for (let n = 0; n < SLICE && start <= text.length; n++) {
      let end = text.indexOf(SERIAL_SEPARATOR, start);
      if (end === -1) end = text.length;
      serials.add(text.slice(start, end));
      start = end + 1;
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return serials;
}
