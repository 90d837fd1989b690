// What the rotation tests share: material prepared ahead (server pairs under the imported
// password, re-issued CAs, CRLs that revoke or spare a victim client), the operators' ways of
// putting files in place, and probes that time how long a change takes to be live.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { chmodSync, copyFileSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { buildCrl, buildServerPair, reissueCa, type Pki } from '../../fixtures/pki.js';
import { clientOptions, type ClientTlsOptions, type FrontProcess, type LogLine } from '../../fixtures/front-process.js';
import { adminGet, call, jsonOf } from '../front/client.js';

/** Rotations of each material kind per way: 20 by default, enough for a leak or a stale swap to show. */
export const ROTATIONS = Number(process.env.STREAMFRONT_ROTATIONS ?? 20);
/**
 * The documented promise (docs/config.md, reload_poll_ms: "changes are live within 1 s"),
 * asserted on what the front controls: from the moment the files are in place to the front's
 * own `material_reloaded` log line (its `time`, same clock). A client's probe adds its own
 * handshake and scheduling delay on top, which on a busy machine says more about the machine.
 */
export const PROMISED_LIVE_MS = 1_000;
/**
 * How long a probe polls for a client to see a change: room for a loaded 2-core machine, not
 * a promise. What the probes measured is reported in a diagnostic; a change never seen fails.
 */
export const SEEN_WITHIN_MS = 10_000;
/** Closed-loop load from good clients for the whole test: this many, each waiting for its answer. */
export const LOAD_CLIENTS = 8;

export interface ServerPairFiles {
  readonly cert: string;
  /** Encrypted under the password given to preparePairs. */
  readonly key: string;
  readonly serial: string;
}

export interface CaFile {
  readonly cert: string;
  readonly serial: string;
}

function serialOfCert(path: string): string {
  return new X509Certificate(readFileSync(path)).serialNumber.toUpperCase().replace(/^0+(?=.)/, '');
}

/** New server certificates and keys from the same CA, each key encrypted with `password`. */
export async function preparePairs(pki: Pki, count: number, password: string): Promise<ServerPairFiles[]> {
  const pairs: ServerPairFiles[] = [];
  for (let i = 0; i < count; i++) {
    const pair = await buildServerPair(pki);
    const key = `${pair.keyPlain}.under-import-password.pem`;
    const pem = createPrivateKey(readFileSync(pair.keyPlain)).export({
      type: 'pkcs8',
      format: 'pem',
      cipher: 'aes-256-cbc',
      passphrase: password,
    });
    writeFileSync(key, pem, { mode: 0o600 });
    pairs.push({ cert: pair.cert, key, serial: pair.serial });
  }
  return pairs;
}

/** Renewals of the CA certificate (same key and name, new serial). */
export function prepareCas(pki: Pki, count: number): CaFile[] {
  const cas: CaFile[] = [];
  for (let i = 0; i < count; i++) {
    const cert = reissueCa(pki);
    cas.push({ cert, serial: serialOfCert(cert) });
  }
  return cas;
}

/** CRLs alternating between revoking the victim (even index) and sparing it (odd). */
export async function prepareCrls(pki: Pki, count: number, victimCert: string): Promise<string[]> {
  const crls: string[] = [];
  for (let i = 0; i < count; i++) {
    crls.push(
      await buildCrl(pki, {
        revoke: i % 2 === 0 ? [pki.clients.revoked.cert, victimCert] : [pki.clients.revoked.cert],
      }),
    );
  }
  return crls;
}

// ---- the operators' ways of replacing a file ---------------------------------------------

export type Placement = (target: string, source: string) => Promise<void>;

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Way 1: delete, a moment with no file, then copy in and make it read-only. */
export const deleteAndCopy: Placement = async (target, source) => {
  rmSync(target, { force: true });
  await pause(20);
  copyFileSync(source, target);
  chmodSync(target, 0o400);
};

/** Way 3: write beside it, then rename over (the reader sees the old or the new file). */
export const renameOver: Placement = async (target, source) => {
  const temp = join(target, '..', `.${Date.now()}.incoming`);
  copyFileSync(source, temp);
  chmodSync(temp, 0o400);
  renameSync(temp, target);
};

/** Way 4: a Kubernetes secret volume (test/fixtures/kubelet-volume.ts). */
export { KubeletVolume as SecretVolume } from '../../fixtures/kubelet-volume.js';

// ---- probes ----------------------------------------------------------------------------

/** The server certificate serial a brand-new handshake (no session reuse) is given. */
export function freshServerSerial(port: number, tls: ClientTlsOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ...tls, servername: 'localhost' }, () => {
      const serial = socket.getPeerX509Certificate()?.serialNumber ?? '';
      socket.destroy();
      resolve(serial.toUpperCase().replace(/^0+(?=.)/, ''));
    });
    socket.once('error', reject);
  });
}

/** Polls `probe` every 25 ms until it returns true; resolves with the elapsed ms, rejects after timeoutMs. */
export async function timeUntil(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs = SEEN_WITHIN_MS,
): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    let isDone = false;
    try {
      isDone = await probe();
    } catch {
      isDone = false;
    }
    const elapsed = performance.now() - t0;
    if (isDone) return elapsed;
    if (elapsed > timeoutMs) throw new Error(`${what}: not seen within ${timeoutMs} ms`);
    await pause(25);
  }
}

/** True when a fresh connection with these credentials gets an answer (any HTTP status). */
export async function isServedFresh(port: number, tls: ClientTlsOptions): Promise<boolean> {
  try {
    const answer = await call(port, { tls, path: '/v2/ready' });
    return answer.status === 200;
  } catch {
    return false;
  }
}

/**
 * A keep-alive connection opened (and used once, successfully) before a change; `isRefused()`
 * sends one more request on the same socket and is true once the front answers 403 or has
 * closed it. It never opens a second connection.
 */
export class OpenConnection {
  private buffer = '';
  private isClosed = false;
  private waiter: (() => void) | undefined;

  private constructor(private readonly socket: TLSSocket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      this.waiter?.();
    });
    socket.on('close', () => {
      this.isClosed = true;
      this.waiter?.();
    });
    socket.on('error', () => undefined);
  }

  static open(port: number, tls: ClientTlsOptions): Promise<OpenConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, ...tls, servername: 'localhost' }, () =>
        resolve(new OpenConnection(socket)),
      );
      socket.once('error', reject);
    });
  }

  /** The status of one GET on this connection, or 'closed'. */
  async get(path = '/v2/ready'): Promise<number | 'closed'> {
    if (this.isClosed) return 'closed';
    this.buffer = '';
    this.socket.write(`GET ${path} HTTP/1.1\r\nhost: localhost\r\n\r\n`);
    for (;;) {
      const head = /^HTTP\/1\.1 (\d{3})[^\r]*\r\n([\s\S]*?)\r\n\r\n/.exec(this.buffer);
      if (head !== null) {
        const length = Number(/content-length: *(\d+)/i.exec(head[2] as string)?.[1] ?? 0);
        if (this.buffer.length >= head[0].length + length) return Number(head[1]);
      }
      if (this.isClosed) return 'closed';
      await new Promise<void>((r) => {
        this.waiter = r;
      });
    }
  }

  async isRefused(): Promise<boolean> {
    const status = await this.get();
    return status === 403 || status === 'closed';
  }

  close(): void {
    this.socket.destroy();
  }
}

export async function readyzBody(front: FrontProcess): Promise<Record<string, unknown>> {
  return jsonOf(await adminGet(front.adminPort, '/readyz'));
}

export function clientTls(pki: Pki, who: Parameters<typeof clientOptions>[1]): ClientTlsOptions {
  return clientOptions(pki, who);
}

// ---- the front's own account of when a change went live -----------------------------------

function normalSerial(hex: unknown): string {
  return String(hex)
    .toUpperCase()
    .replace(/^0+(?=.)/, '');
}

/** A point in the front's log: lines after it are what a change caused. */
export interface LogMark {
  readonly seen: ReadonlySet<LogLine>;
  /** Date.now() when the files were in place (or the signal sent). */
  readonly at: number;
}

/** Call right after the files are in place. */
export function markPlaced(front: FrontProcess, seen: ReadonlySet<LogLine> = new Set(front.logLines())): LogMark {
  return { seen, at: Date.now() };
}

/** Lines seen so far, taken before placing files (a commit can land while they are placed). */
export function logSnapshot(front: FrontProcess): ReadonlySet<LogLine> {
  return new Set(front.logLines());
}

/**
 * Ms from the mark to the front's first log line after it that matches (by the line's own
 * time): what PROMISED_LIVE_MS is checked against. 0 when the front was done before the mark.
 */
export async function frontMsSince(
  front: FrontProcess,
  mark: LogMark,
  match: (l: LogLine) => boolean,
): Promise<number> {
  const line = await front.waitForLog((l) => !mark.seen.has(l) && match(l), SEEN_WITHIN_MS);
  const at = Date.parse(String(line.time));
  if (!Number.isFinite(at)) throw new Error(`log line without a time: ${JSON.stringify(line)}`);
  return Math.max(0, at - mark.at);
}

/** The front's commit of a new set: any, or the one serving this server certificate serial. */
export function isReloaded(serverSerial?: string): (l: LogLine) => boolean {
  return (l) =>
    l.event === 'material_reloaded' &&
    (serverSerial === undefined || normalSerial(l.serverCertSerial) === normalSerial(serverSerial));
}

/** "n 12, median 180 ms, slowest 420 ms" for a diagnostic. */
export function summarize(xs: readonly number[]): string {
  if (xs.length === 0) return 'n 0';
  const sorted = [...xs].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] as number;
  return `n ${xs.length}, median ${median.toFixed(0)} ms, slowest ${(sorted.at(-1) as number).toFixed(0)} ms`;
}

/** The separately named promise check: every commit within PROMISED_LIVE_MS of its change. */
export function assertPromisedLive(what: string, frontMs: readonly number[]): void {
  for (const [i, ms] of frontMs.entries()) {
    if (ms > PROMISED_LIVE_MS) {
      throw new Error(
        `documented promise broken (changes live within ${PROMISED_LIVE_MS} ms): ${what} #${i} went live ${ms.toFixed(0)} ms after it was in place (${summarize(frontMs)})`,
      );
    }
  }
}
