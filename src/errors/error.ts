// The one error type of streamfront: a catalogued code, a message naming the file or item
// and the offending value, and a hint with the next action. Every surface (CLI line, HTTP
// JSON, log record) is derived from it, so wording never drifts between them.
import { catalogue, type ErrorCode, type ErrorDef } from './catalogue.js';

export interface ErrorDetails {
  /** The file the error is about, as the operator named it (or as the config names it). */
  readonly file?: string;
  /** The config item the error is about. */
  readonly item?: string;
  /** What to do next, as a command or an instruction. */
  readonly hint?: string;
  readonly cause?: unknown;
}

export class StreamfrontError extends Error {
  readonly code: ErrorCode;
  readonly file: string | undefined;
  readonly item: string | undefined;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'StreamfrontError';
    this.code = code;
    this.file = details.file;
    this.item = details.item;
    this.hint = details.hint;
  }

  get exitCode(): number {
    return (catalogue[this.code] as ErrorDef).exitCode;
  }
}

export function isStreamfrontError(err: unknown): err is StreamfrontError {
  return err instanceof StreamfrontError;
}

/** One line for a terminal: "<file>: <message>; fix: <hint> [CODE]". */
export function formatErrorLine(err: StreamfrontError): string {
  const where = err.file ?? (err.item === undefined ? undefined : `item ${err.item}`);
  const head = where === undefined ? err.message : `${where}: ${err.message}`;
  const fix = err.hint === undefined ? '' : `; fix: ${err.hint}`;
  return `${head}${fix} [${err.code}]`.replace(/[\r\n]+/g, ' ');
}

/** The record a log line carries: never the cause's stack or any input bytes. */
export function errorLogFields(err: StreamfrontError): Record<string, string> {
  const fields: Record<string, string> = { code: err.code, reason: err.message };
  if (err.file !== undefined) fields.file = err.file;
  if (err.item !== undefined) fields.item = err.item;
  if (err.hint !== undefined) fields.hint = err.hint;
  return fields;
}
