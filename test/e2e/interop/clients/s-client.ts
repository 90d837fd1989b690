// openssl s_client at one TLS version, carrying hand-written HTTP/1.1 requests: every cell of a
// batch goes over one s_client (one connection), each request written only once the previous
// answer has been read. A new s_client starts only when the front closed the connection.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { headOf, type BatchReport, type BatchSpec, type CellSpec, type RequestOutcome } from '../matrix.js';
import type { ClientRunner } from '../runner.js';
import { requireCommand } from '../tools.js';
import { AnswerReader, type HttpAnswer } from './http1-response.js';

const CHUNK_BYTES = 64 * 1024;
const STDERR_KEPT = 2000;

interface Connection {
  readonly child: ChildProcessWithoutNullStreams;
  readonly reader: AnswerReader;
  /** s_client processes started in this batch, this one included: the connection's id. */
  readonly ordinal: number;
  requests: number;
  isExited: boolean;
  exitCode: number | null;
  stderr: string;
  /** Called on new output and at exit, by whoever waits for an answer. */
  onChange: () => void;
}

function openConnection(spec: BatchSpec, versionFlag: string, ordinal: number): Connection {
  const { hostname, port } = new URL(spec.baseUrl);
  const args = [
    's_client',
    '-connect',
    `${hostname}:${port}`,
    versionFlag,
    '-CAfile',
    spec.caFile,
    '-cert',
    spec.certFile,
    '-key',
    spec.keyFile,
    // -quiet: only the server's bytes on stdout (and -ign_eof); the front's certificate must verify.
    '-quiet',
    '-verify_return_error',
    '-verify_ip',
    hostname,
  ];
  const child = spawn('openssl', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const conn: Connection = {
    child,
    reader: new AnswerReader(),
    ordinal,
    requests: 0,
    isExited: false,
    exitCode: null,
    stderr: '',
    onChange: () => undefined,
  };
  child.stdout.on('data', (chunk: Buffer) => {
    conn.reader.push(chunk);
    conn.onChange();
  });
  child.stderr
    .setEncoding('utf8')
    .on('data', (text: string) => void (conn.stderr = (conn.stderr + text).slice(-STDERR_KEPT)));
  // Writes into a connection the front closed fail here; the answer (or its absence) is what counts.
  child.stdin.on('error', () => undefined);
  child.once('close', (code) => {
    conn.isExited = true;
    conn.exitCode = code;
    conn.onChange();
  });
  return conn;
}

/** The request as bytes on the wire: a Content-Length body, or the body in 64 KB chunks. */
function writeRequest(conn: Connection, spec: BatchSpec, cell: CellSpec, body: Buffer): void {
  const { host } = new URL(spec.baseUrl);
  const framing = cell.isChunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${body.length}`;
  conn.child.stdin.write(
    `POST ${cell.path} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\n${framing}\r\n\r\n`,
  );
  if (!cell.isChunked) {
    conn.child.stdin.write(body);
    return;
  }
  for (let i = 0; i < body.length; i += CHUNK_BYTES) {
    const piece = body.subarray(i, i + CHUNK_BYTES);
    conn.child.stdin.write(`${piece.length.toString(16)}\r\n`);
    conn.child.stdin.write(piece);
    conn.child.stdin.write('\r\n');
  }
  conn.child.stdin.write('0\r\n\r\n');
}

/** The next answer on the connection, or why there is none. */
function nextAnswer(conn: Connection, timeoutMs: number): Promise<HttpAnswer | string> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish(`no answer within ${timeoutMs} ms`), timeoutMs);
    function finish(result: HttpAnswer | string): void {
      clearTimeout(timer);
      conn.onChange = () => undefined;
      resolve(result);
    }
    function check(): void {
      let answer: HttpAnswer | undefined;
      try {
        answer = conn.reader.take(conn.isExited);
      } catch (err) {
        return finish(`unreadable answer: ${(err as Error).message}`);
      }
      if (answer !== undefined) return finish(answer);
      if (conn.isExited) {
        const what = conn.reader.pending > 0 ? 'in the middle of an answer' : 'without an answer';
        finish(
          `s_client exited ${String(conn.exitCode)} ${what}: ${conn.stderr.trim().split('\n').slice(-3).join(' | ')}`,
        );
      }
    }
    conn.onChange = check;
    check();
  });
}

function stop(conn: Connection): Promise<void> {
  if (conn.isExited) return Promise.resolve();
  return new Promise((resolve) => {
    conn.child.once('close', () => resolve());
    conn.child.kill('SIGTERM');
  });
}

async function runSClient(spec: BatchSpec, versionFlag: string, version: string): Promise<BatchReport> {
  const outcomes: RequestOutcome[] = [];
  let conn: Connection | undefined;
  let started = 0;
  try {
    for (const cell of spec.cells) {
      const body = readFileSync(cell.bodyFile);
      for (let i = 0; i < cell.repeat; i++) {
        if (conn === undefined || conn.isExited) conn = openConnection(spec, versionFlag, ++started);
        const isNewConnection = conn.requests === 0;
        conn.requests++;
        writeRequest(conn, spec, cell, body);
        const answer = await nextAnswer(conn, spec.requestTimeoutMs);
        const base = { cell: cell.name, connection: `s_client#${conn.ordinal}`, isNewConnection };
        if (typeof answer === 'string') {
          outcomes.push({ ...base, status: 0, error: answer, bodyHead: '' });
          await stop(conn);
          conn = undefined;
          continue;
        }
        outcomes.push({ ...base, status: answer.status, error: null, bodyHead: headOf(answer.body.toString('utf8')) });
        // The front said it closes the connection: the next request needs a new one.
        if (/\bclose\b/i.test(answer.headers.get('connection') ?? '')) {
          await stop(conn);
          conn = undefined;
        }
      }
    }
  } finally {
    if (conn !== undefined) await stop(conn);
  }
  return { client: `openssl s_client ${versionFlag}`, version, outcomes };
}

function sClientRunner(id: string, title: string, versionFlag: string): ClientRunner {
  let version = '';
  return {
    id,
    title,
    canChunk: true,
    keepAliveConnections: 1,
    prepare: async () => {
      // "OpenSSL 3.0.19 27 Jan 2026 (Library: ...)" -> "OpenSSL 3.0.19"
      version = requireCommand('openssl', ['version'], 'openssl').split(' ').slice(0, 2).join(' ');
    },
    run: (spec) => runSClient(spec, versionFlag, version),
  };
}

export const sClientTls12 = sClientRunner(
  's_client-tls1_2',
  'openssl s_client -tls1_2 (hand-written HTTP/1.1)',
  '-tls1_2',
);
export const sClientTls13 = sClientRunner(
  's_client-tls1_3',
  'openssl s_client -tls1_3 (hand-written HTTP/1.1)',
  '-tls1_3',
);
