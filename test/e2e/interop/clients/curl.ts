// curl as a user runs it: one curl process per batch, one --next segment per request (curl keeps
// its connections across segments), each segment's status, new-connection count and local
// port printed with -w, each answer body written to its own file.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { headOf, type BatchReport, type BatchSpec, type CellSpec, type RequestOutcome } from '../matrix.js';
import type { ClientRunner } from '../runner.js';
import { requireCommand } from '../tools.js';
import { runProcess } from './child-process.js';

const BATCH_TIMEOUT_MS = 150_000;
// Not '@...': curl reads a --write-out starting with '@' from a file.
const MARK = 'interop-result';

interface CurlVariant {
  readonly id: string;
  readonly title: string;
  /** Options after the defaults, e.g. --http1.0. */
  readonly extraArgs: readonly string[];
  readonly canChunk: boolean;
  readonly keepAliveConnections: number | null;
}

function curlVersion(): string {
  const line = requireCommand('curl', ['--version'], 'curl');
  // "curl 7.88.1 (x86_64-pc-linux-gnu) libcurl/7.88.1 OpenSSL/3.0.19 ..." -> "7.88.1 (OpenSSL/3.0.19)"
  const tls = /\b(OpenSSL|GnuTLS|wolfSSL|mbedTLS|BoringSSL|LibreSSL)\/\S+/.exec(line)?.[0];
  const version = line.split(' ')[1] ?? line;
  return tls === undefined ? version : `${version} (${tls})`;
}

function segment(spec: BatchSpec, variant: CurlVariant, cell: CellSpec, bodyOut: string): string[] {
  return [
    '--silent',
    '--show-error',
    '--max-time',
    String(Math.ceil(spec.requestTimeoutMs / 1000)),
    '--cacert',
    spec.caFile,
    ...(spec.certFile === '' ? [] : ['--cert', spec.certFile, '--key', spec.keyFile]),
    '-H',
    'Content-Type: application/json',
    ...variant.extraArgs,
    ...(cell.isChunked ? ['-H', 'Transfer-Encoding: chunked'] : []),
    '--data-binary',
    `@${cell.bodyFile}`,
    '--output',
    bodyOut,
    '--write-out',
    `${MARK} ${cell.name} %{http_code} %{num_connects} %{local_port} %{http_version} %{exitcode} %{errormsg}\\n`,
    `${spec.baseUrl}${cell.path}`,
  ];
}

function readHead(path: string): string {
  try {
    return headOf(readFileSync(path, 'utf8'));
  } catch {
    return '';
  }
}

/** One -w line back into an outcome; the body file of the same request gives the head. */
function parseLine(line: string, bodyOut: string): RequestOutcome {
  const [, cell = '', code = '0', connects = '', port = '', version = '', exit = '', ...message] = line.split(' ');
  const exitCode = Number(exit);
  return {
    cell,
    status: Number(code),
    error: exitCode === 0 ? null : `curl: (${exitCode}) ${message.join(' ')}`,
    bodyHead: readHead(bodyOut),
    connection: port === '' || port === '0' ? null : port,
    isNewConnection: connects === '' ? null : Number(connects) > 0,
    protocol: version === '' || version === '0' ? null : version,
  };
}

async function runCurl(spec: BatchSpec, variant: CurlVariant, version: string): Promise<BatchReport> {
  const dir = mkdtempSync(join(tmpdir(), 'streamfront-interop-curl-'));
  try {
    const args: string[] = [];
    const bodyFiles: string[] = [];
    for (const cell of spec.cells) {
      for (let i = 0; i < cell.repeat; i++) {
        const out = join(dir, `${cell.name}-${i}.out`);
        if (args.length > 0) args.push('--next');
        args.push(...segment(spec, variant, cell, out));
        bodyFiles.push(out);
      }
    }
    const result = await runProcess('curl', args, { timeoutMs: BATCH_TIMEOUT_MS });
    // curl's exit code is the last transfer's; every transfer's outcome is in its -w line.
    const lines = result.stdout.split('\n').filter((l) => l.startsWith(`${MARK} `));
    if (result.isTimedOut || lines.length !== bodyFiles.length) {
      throw new Error(
        `curl printed ${lines.length} of ${bodyFiles.length} results (exit ${String(result.code)}${result.isTimedOut ? ', killed at its deadline' : ''}):\n${result.stderr.slice(-3000)}`,
      );
    }
    const outcomes = lines.map((line, i) => parseLine(line, bodyFiles[i] as string));
    return {
      client: `curl${variant.extraArgs.length > 0 ? ` ${variant.extraArgs.join(' ')}` : ''}`,
      version,
      outcomes,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function curlRunner(variant: CurlVariant): ClientRunner {
  let version = '';
  return {
    id: variant.id,
    title: variant.title,
    canChunk: variant.canChunk,
    keepAliveConnections: variant.keepAliveConnections,
    prepare: async () => void (version = curlVersion()),
    run: (spec) => runCurl(spec, variant, version),
  };
}

export const curlDefault = curlRunner({
  id: 'curl',
  title: 'curl (default settings)',
  extraArgs: [],
  canChunk: true,
  keepAliveConnections: 1,
});

/** HTTP/1.0 has neither chunked bodies nor keep-alive unless asked; curl asks for neither. */
export const curlHttp10 = curlRunner({
  id: 'curl-http1_0',
  title: 'curl --http1.0',
  extraArgs: ['--http1.0'],
  canChunk: false,
  keepAliveConnections: null,
});

/** curl --http2: h2 offered in ALPN (curl's default for https is the same; the flag makes it explicit). */
export const curlHttp2 = curlRunner({
  id: 'curl-http2',
  title: 'curl --http2',
  extraArgs: ['--http2'],
  canChunk: true,
  keepAliveConnections: 1,
});

/** An empty Expect header stops curl from sending `Expect: 100-continue` with large bodies. */
export const curlNoExpect = curlRunner({
  id: 'curl-no-expect',
  title: "curl -H 'Expect:'",
  extraArgs: ['-H', 'Expect:'],
  canChunk: true,
  keepAliveConnections: 1,
});
