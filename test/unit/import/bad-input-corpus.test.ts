// The bad-input corpus through the operator's own command, `bash ./certImport.sh`: every case
// is exit 1 with one error line naming the file and ending in its code, and keys/ and the
// config are byte-identical afterwards. The cases run a few at a time, so the whole corpus
// takes seconds, not minutes. (The corpus: test/fixtures/bad-inputs.ts.)
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  buildAcceptedConfigs,
  buildBadInputs,
  ROLE_FILE,
  type AcceptedConfig,
  type BadInput,
} from '../../fixtures/bad-inputs.js';
import { readFileSync } from 'node:fs';
import { buildPki, type Pki } from '../../fixtures/pki.js';
import { cleanEnv, copyInto, errorLines, isRoot, makeRunFolder, type RunFolder } from '../errors/run-folder.js';

/** Node starts dominate each case; three at a time keeps two shared cores busy without thrashing. */
const CONCURRENCY = 3;
const CASE_TIMEOUT_MS = 30_000;

interface Outcome {
  status: number | null;
  stderr: string;
  ms: number;
  isUnchanged: boolean;
  folder: RunFolder;
}

function runImport(f: RunFolder, args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['./certImport.sh', ...args], {
      cwd: f.dir,
      env: cleanEnv(),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c: string) => (stderr += c));
    // A case that blocks (a FIFO read, say) must fail here, not hang the suite.
    const timer = setTimeout(() => child.kill('SIGKILL'), CASE_TIMEOUT_MS);
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stderr });
    });
  });
}

function prepareFolder(pki: Pki, c: BadInput): { folder: RunFolder; args: string[] } {
  const f = makeRunFolder('sf-corpus-');
  copyInto(f, pki.ca.cert, ROLE_FILE.ca, 0o644);
  copyInto(f, pki.server.cert, ROLE_FILE.server, 0o644);
  copyInto(f, pki.server.keyEncrypted, ROLE_FILE.key, 0o600);
  copyInto(f, pki.crls.good, ROLE_FILE.crl, 0o644);
  if (c.role !== undefined && c.file !== undefined) {
    const target = join(f.dir, ROLE_FILE[c.role]);
    copyFileSync(c.file, target);
    chmodSync(target, statSync(c.file).mode & 0o777);
  }
  c.prepare?.(f.dir);
  const args = [
    '-c',
    ROLE_FILE.ca,
    '-s',
    ROLE_FILE.server,
    '-k',
    ROLE_FILE.key,
    '-r',
    ROLE_FILE.crl,
    '--password-file',
    f.passwordFile(c.password ?? pki.password),
  ];
  return { folder: f, args };
}

describe('the bad-input corpus through bash ./certImport.sh', {
  skip: isRoot ? false : 'chown to another user needs root',
}, () => {
  let cases: BadInput[] = [];
  const accepted: AcceptedConfig[] = buildAcceptedConfigs();
  const outcomes = new Map<string, Outcome>();
  let batchMs = 0;

  before(async () => {
    const pki = await buildPki();
    cases = buildBadInputs(pki);
    const t0 = performance.now();
    // The accepted shapes ride in the same batch: a run folder whose config they change.
    const queue: BadInput[] = [
      ...cases,
      ...accepted.map((a): BadInput => ({ name: `accepted: ${a.name}`, kind: 'config', prepare: a.prepare, code: '' })),
    ];
    const worker = async (): Promise<void> => {
      for (let c = queue.shift(); c !== undefined; c = queue.shift()) {
        const { folder, args } = prepareFolder(pki, c);
        const snapshot = folder.snapshot();
        const started = performance.now();
        const res = await runImport(folder, args);
        outcomes.set(c.name, {
          ...res,
          ms: performance.now() - started,
          isUnchanged: folder.snapshot() === snapshot,
          folder,
        });
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    batchMs = performance.now() - t0;
  });

  after(() => {
    for (const o of outcomes.values()) o.folder.remove();
  });

  it('holds at least 60 cases and runs them all in well under a minute', (t) => {
    t.diagnostic(`${cases.length} cases in ${(batchMs / 1000).toFixed(1)} s, ${CONCURRENCY} at a time`);
    assert.ok(cases.length >= 60, `only ${cases.length} cases`);
    assert.ok(batchMs < 45_000, `the corpus took ${Math.round(batchMs)} ms`);
  });

  // One test per case, so a failure names the input; the work was done above.
  const names = (): BadInput[] => cases;
  it('refuses every case: exit 1, one line naming the file with the expected code, nothing written', () => {
    const problems: string[] = [];
    for (const c of names()) {
      const o = outcomes.get(c.name);
      if (o === undefined) {
        problems.push(`${c.name}: not run`);
        continue;
      }
      const lines = errorLines(o.stderr, 'certImport');
      const line = lines[0] ?? '';
      const expectedName = c.names ?? (c.role === undefined ? '' : ROLE_FILE[c.role]);
      if (o.status !== 1) problems.push(`${c.name}: exit ${String(o.status)} ${o.stderr.slice(-300)}`);
      else if (lines.length !== 1) problems.push(`${c.name}: ${lines.length} error lines: ${o.stderr.slice(-300)}`);
      else if (!line.endsWith(`[${c.code}]`)) problems.push(`${c.name}: expected [${c.code}], got: ${line}`);
      else if (!line.includes(expectedName))
        problems.push(`${c.name}: the line does not name ${expectedName}: ${line}`);
      if (!o.isUnchanged) problems.push(`${c.name}: keys/ or the config changed`);
    }
    assert.deepEqual(problems, []);
  });

  it('takes the config shapes docs/config.md allows (unknown items, CRLF, a BOM, stray lines) and keeps their bytes', () => {
    for (const a of accepted) {
      const o = outcomes.get(`accepted: ${a.name}`);
      assert.equal(o?.status, 0, `${a.name}: ${o?.stderr.slice(-400)}`);
      assert.ok(a.kept(readFileSync((o as Outcome).folder.configPath, 'utf8')), `${a.name}: the config lost it`);
    }
  });
});
