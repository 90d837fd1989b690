// The keystore file format: one JSON body line, then one "hmac-sha256 <base64url>" line
// computed over the exact body bytes. Pure: text in, typed body (or the reason it is bad) out.

export const KEYSTORE_FORMAT = 'streamfront-kmc';
export const KEYSTORE_VERSION = 1;

export type MasterKeyState = 'active' | 'decrypt-only' | 'retired';

export interface MasterKeyRecord {
  readonly id: number;
  state: MasterKeyState;
  readonly created: string;
  readonly expires: string;
  /** "nonce.data.tag" in base64url under the root wrap key; null once retired (bytes destroyed). */
  wrapped: string | null;
}

export interface OperatorSecretRecord {
  readonly salt: string;
  readonly verifier: string;
}

export interface KeystoreBody {
  readonly format: string;
  readonly version: number;
  readonly generation: number;
  readonly domain: number;
  readonly written: string;
  readonly rootMaterial: string;
  readonly operatorSecret: OperatorSecretRecord | null;
  readonly masterKeys: MasterKeyRecord[];
}

export interface ParsedKeystoreText {
  readonly bodyText: string;
  readonly body: KeystoreBody;
  readonly mac: Buffer;
}

const B64URL = /^[A-Za-z0-9_-]+$/;
const STATES: readonly string[] = ['active', 'decrypt-only', 'retired'];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkMasterKey(v: unknown): string | undefined {
  if (!isObject(v)) return 'a master key entry is not an object';
  if (!Number.isSafeInteger(v.id) || (v.id as number) < 1) return 'a master key id is not a positive integer';
  if (typeof v.state !== 'string' || !STATES.includes(v.state))
    return `master key ${String(v.id)} has an unknown state`;
  if (typeof v.created !== 'string' || Number.isNaN(Date.parse(v.created)))
    return `master key ${String(v.id)} has no valid created date`;
  if (typeof v.expires !== 'string' || Number.isNaN(Date.parse(v.expires)))
    return `master key ${String(v.id)} has no valid expires date`;
  if (v.state === 'retired' ? v.wrapped !== null : typeof v.wrapped !== 'string')
    return `master key ${String(v.id)} has a wrapped value that does not fit its state`;
  return undefined;
}

/** Returns the parsed copy, or a short reason (never content) why it is not a keystore. */
export function parseKeystoreText(text: string): ParsedKeystoreText | string {
  const lines = text.split('\n');
  if (lines.length !== 3 || lines[2] !== '') return 'not two lines (body, hmac)';
  const bodyText = lines[0] as string;
  const macLine = lines[1] as string;
  const macMatch = /^hmac-sha256 ([A-Za-z0-9_-]{43})$/.exec(macLine);
  if (macMatch === null) return 'no hmac-sha256 line';
  let raw: unknown;
  try {
    raw = JSON.parse(bodyText);
  } catch {
    return 'body is not JSON';
  }
  if (!isObject(raw)) return 'body is not an object';
  if (raw.format !== KEYSTORE_FORMAT) return `format is not ${KEYSTORE_FORMAT}`;
  if (raw.version !== KEYSTORE_VERSION)
    return `version ${String(raw.version)} is not supported (expected ${KEYSTORE_VERSION})`;
  if (!Number.isSafeInteger(raw.generation) || (raw.generation as number) < 1)
    return 'generation is not a positive integer';
  if (!Number.isSafeInteger(raw.domain)) return 'domain is not an integer';
  if (typeof raw.written !== 'string') return 'written is missing';
  if (typeof raw.rootMaterial !== 'string' || !B64URL.test(raw.rootMaterial)) return 'root material is missing';
  const secret = raw.operatorSecret;
  if (
    secret !== null &&
    !(isObject(secret) && typeof secret.salt === 'string' && typeof secret.verifier === 'string')
  ) {
    return 'operator secret record is malformed';
  }
  if (!Array.isArray(raw.masterKeys) || raw.masterKeys.length === 0) return 'no master keys';
  for (const mk of raw.masterKeys) {
    const reason = checkMasterKey(mk);
    if (reason !== undefined) return reason;
  }
  const keys = raw.masterKeys as MasterKeyRecord[];
  if (keys.filter((k) => k.state === 'active').length !== 1) return 'not exactly one active master key';
  if (new Set(keys.map((k) => k.id)).size !== keys.length) return 'duplicate master key ids';
  return { bodyText, body: raw as unknown as KeystoreBody, mac: Buffer.from(macMatch[1] as string, 'base64url') };
}

export function buildBodyText(body: KeystoreBody): string {
  return JSON.stringify(body);
}

export function buildKeystoreText(bodyText: string, mac: Buffer): string {
  return `${bodyText}\nhmac-sha256 ${mac.toString('base64url')}\n`;
}
