// Runs one client process: the BatchSpec in on stdin, its whole output collected, killed if it
// outlives its deadline (a hung client fails its test with what it printed so far).
import { spawn } from 'node:child_process';
import type { BatchReport } from '../matrix.js';

export interface ProcessResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly isTimedOut: boolean;
}

export interface ProcessOptions {
  readonly input?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
}

export function runProcess(command: string, args: readonly string[], opts: ProcessOptions): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let isTimedOut = false;
    child.stdout.setEncoding('utf8').on('data', (c: string) => void (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => void (stderr += c));
    const timer = setTimeout(() => {
      isTimedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, isTimedOut });
    });
    // A client that dies early closes its stdin; that shows in its exit, not as an EPIPE here.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

function describeEnd(what: string, r: ProcessResult): string {
  const end = r.isTimedOut
    ? 'was killed at its deadline'
    : `exited ${String(r.code)}${r.signal === null ? '' : ` (${r.signal})`}`;
  return `${what} ${end}\n--- stderr (end) ---\n${r.stderr.slice(-3000)}\n--- stdout (end) ---\n${r.stdout.slice(-1000)}`;
}

/** The one JSON report a client process prints; throws with its output when there is none. */
export function parseReport(what: string, r: ProcessResult): BatchReport {
  if (r.isTimedOut || r.code !== 0) throw new Error(describeEnd(what, r));
  try {
    const report = JSON.parse(r.stdout) as BatchReport;
    if (!Array.isArray(report.outcomes)) throw new Error('no outcomes array');
    return report;
  } catch (err) {
    throw new Error(`${describeEnd(what, r)}\n(its stdout is not a report: ${(err as Error).message})`);
  }
}
