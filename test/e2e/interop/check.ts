// Judges one cell from both ends: what the client saw (status, body, connection) and what the
// engine simulator received on the cell's path (how many requests, the SHA-256 of each body).
// Returns every problem at once, so a failing cell says all that went wrong.
import type { RecordedRequest } from '../../../src/engine-sim/server.js';
import type { BodyFile } from './bodies.js';
import { expectedStatus, type CellSpec, type RequestOutcome } from './matrix.js';

/** What a user reads in the answer body: the engine's success, or the front's refusal. */
const EXPECTED_BODY: Readonly<Record<number, string>> = {
  200: '"isSuccess":true',
  413: 'request body too large',
};

function describeOutcome(o: RequestOutcome): string {
  const parts = [`status ${o.status === 0 ? 'none' : o.status}`];
  if (o.error !== null) parts.push(`error: ${o.error}`);
  if (o.bodyHead !== '') parts.push(`body: ${o.bodyHead}`);
  return parts.join('; ');
}

/** The same problem on 20 keep-alive requests is reported once, with how many it hit. */
function collapse(problems: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const p of problems) counts.set(p, (counts.get(p) ?? 0) + 1);
  return [...counts].map(([p, n]) => (n === 1 ? p : `${p} (x${n})`));
}

function checkClientSide(cell: CellSpec, outcomes: readonly RequestOutcome[]): string[] {
  const status = expectedStatus(cell.kind);
  const problems: string[] = [];
  if (outcomes.length !== cell.repeat)
    problems.push(`the client reported ${outcomes.length} of ${cell.repeat} requests`);
  for (const o of outcomes) {
    const body = EXPECTED_BODY[status] as string;
    if (o.status !== status || o.error !== null || !o.bodyHead.includes(body)) {
      problems.push(`client saw ${describeOutcome(o)} (expected status ${status} and a body with ${body})`);
    }
  }
  return collapse(problems);
}

function checkEngineSide(cell: CellSpec, body: BodyFile, records: readonly RecordedRequest[]): string[] {
  const received = records.filter((r) => r.path === cell.path);
  if (expectedStatus(cell.kind) !== 200) {
    return received.length === 0
      ? []
      : [
          `the engine received ${received.length} request(s) of ${received.map((r) => r.bytes).join(', ')} bytes; it must receive nothing`,
        ];
  }
  const problems: string[] = [];
  if (received.length !== cell.repeat)
    problems.push(`the engine received ${received.length} of ${cell.repeat} requests`);
  for (const r of received) {
    if (r.bodySha256 !== body.sha256)
      problems.push(
        `the engine received a body of ${r.bytes} bytes with SHA-256 ${r.bodySha256} (expected ${body.bytes} bytes, ${body.sha256})`,
      );
  }
  return collapse(problems);
}

/**
 * The keep-alive cell on a keep-alive client: at most `maxConnections` connections (one for
 * most clients), each opened once, so the front closed none of them between requests.
 */
function checkConnections(outcomes: readonly RequestOutcome[], maxConnections: number): string[] {
  const ids = outcomes.map((o) => o.connection);
  const opened = outcomes.map((o) => o.isNewConnection);
  if (ids.some((id) => id === null) && opened.some((n) => n === null)) {
    return ['the client told neither which connection carried each request nor when it opened one'];
  }
  const problems: string[] = [];
  const expected = maxConnections === 1 ? 'one' : `at most ${maxConnections}`;
  const distinct = new Set(ids);
  if (ids.every((id) => id !== null) && distinct.size > maxConnections) {
    problems.push(`the requests used ${distinct.size} connections (${[...distinct].join(', ')}); expected ${expected}`);
  }
  if (opened.every((n) => n !== null)) {
    const count = opened.filter((n) => n === true).length;
    if (count < 1 || count > maxConnections)
      problems.push(`the client opened ${count} connections for ${outcomes.length} requests; expected ${expected}`);
    // A connection opened again (same count of ids, more openings) means the front closed one.
    if (ids.every((id) => id !== null) && count !== distinct.size)
      problems.push(
        `the client opened ${count} connections but used ${distinct.size}: a connection was closed and reopened`,
      );
  }
  return problems;
}

/** Every problem with one cell; empty when the client and the engine both saw the right thing. */
export function judgeCell(
  cell: CellSpec,
  body: BodyFile,
  outcomes: readonly RequestOutcome[],
  records: readonly RecordedRequest[],
  /** For the keep-alive cell of a keep-alive client; null: the connections are not judged. */
  maxConnections: number | null,
): string[] {
  const problems = [...checkClientSide(cell, outcomes), ...checkEngineSide(cell, body, records)];
  if (maxConnections !== null) problems.push(...checkConnections(outcomes, maxConnections));
  return problems;
}
