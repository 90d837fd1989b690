// The cells one client runs with one certificate, in batch order, bound to the body files.
import type { BodySet } from './bodies.js';
import {
  CELL_ORDER,
  KEEP_ALIVE_REQUESTS,
  cellName,
  inferPath,
  type CellKind,
  type CellSpec,
  type CertKind,
} from './matrix.js';
import type { ClientRunner } from './runner.js';

export const CERT_KINDS: readonly CertKind[] = ['rsa', 'ec'];

export function cellKindsOf(runner: ClientRunner): CellKind[] {
  return CELL_ORDER.filter((kind) => kind !== 'chunked' || runner.canChunk);
}

export function buildCells(runner: ClientRunner, cert: CertKind, bodies: BodySet): CellSpec[] {
  return cellKindsOf(runner).map((kind) => {
    const name = cellName(runner.id, cert, kind);
    return {
      name,
      kind,
      path: inferPath(name),
      bodyFile: bodies[kind].path,
      bodyBytes: bodies[kind].bytes,
      isChunked: kind === 'chunked',
      repeat: kind === 'keep-alive' ? KEEP_ALIVE_REQUESTS : 1,
    };
  });
}

/** Every model name the runners will use: the simulator answers only models it knows. */
export function allCellNames(runners: readonly ClientRunner[]): string[] {
  return runners.flatMap((runner) =>
    CERT_KINDS.flatMap((cert) => cellKindsOf(runner).map((kind) => cellName(runner.id, cert, kind))),
  );
}
