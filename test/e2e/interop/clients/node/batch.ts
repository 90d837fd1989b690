// Shared by the Node interop clients (run as their own processes, like the clients in other
// languages): read the BatchSpec on stdin, send each cell one request at a time (each waits
// for its answer), print the BatchReport on stdout. A client supplies how one request is sent.
import { readFileSync } from 'node:fs';
import type { BatchSpec, CellSpec, RequestOutcome } from '../../matrix.js';

export interface Client {
  send(cell: CellSpec, body: Buffer): Promise<Omit<RequestOutcome, 'cell'>>;
  /** Closes kept-alive connections, so the process ends by itself. */
  close(): Promise<void>;
}

/** The pieces of a chunked body, as a caller streaming a file would hand them over. */
export const CHUNK_BYTES = 64 * 1024;

export function* piecesOf(body: Buffer): Generator<Buffer> {
  for (let i = 0; i < body.length; i += CHUNK_BYTES) yield body.subarray(i, i + CHUNK_BYTES);
}

export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as NodeJS.ErrnoException).code;
  const cause = err.cause instanceof Error ? ` (cause: ${describeError(err.cause)})` : '';
  return `${code === undefined ? err.name : code}: ${err.message}${cause}`;
}

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text;
}

export async function runBatch(name: string, version: string, makeClient: (spec: BatchSpec) => Client): Promise<void> {
  const spec = JSON.parse(await readStdin()) as BatchSpec;
  const client = makeClient(spec);
  const outcomes: RequestOutcome[] = [];
  for (const cell of spec.cells) {
    const body = readFileSync(cell.bodyFile);
    for (let i = 0; i < cell.repeat; i++) outcomes.push({ cell: cell.name, ...(await client.send(cell, body)) });
  }
  await client.close();
  process.stdout.write(JSON.stringify({ client: name, version, outcomes }));
}
