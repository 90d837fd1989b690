// The request bodies of the matrix, written once per test process to a temp folder so every
// client reads the same bytes from a file: valid engine infer JSON of an exact size, each kind
// with its own random payload (a body delivered to the wrong cell cannot match its hash).
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildInferBody } from '../../fixtures/load.js';
import { BODY_BYTES, CELL_ORDER, type CellKind } from './matrix.js';

export interface BodyFile {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
}

export type BodySet = Readonly<Record<CellKind, BodyFile>>;

/** JSON around the base64 payload, with room to spare; the rest is padded with spaces (legal JSON). */
const JSON_OVERHEAD = 256;

/** An infer body of exactly `bytes` bytes. */
export function buildExactInferBody(bytes: number): Buffer {
  const payloadBytes = Math.floor(((bytes - JSON_OVERHEAD) * 3) / 4);
  const inner = buildInferBody(randomBytes(payloadBytes));
  const padding = bytes - Buffer.byteLength(inner);
  if (padding < 0) throw new Error(`bodies: an infer body cannot be as small as ${bytes} bytes`);
  return Buffer.from(inner + ' '.repeat(padding));
}

let cached: BodySet | undefined;

export function buildBodies(): BodySet {
  if (cached !== undefined) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'streamfront-interop-bodies-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const set: Partial<Record<CellKind, BodyFile>> = {};
  for (const kind of CELL_ORDER) {
    const body = buildExactInferBody(BODY_BYTES[kind]);
    const path = join(dir, `${kind}.json`);
    writeFileSync(path, body);
    set[kind] = { path, bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') };
  }
  cached = set as BodySet;
  return cached;
}
