// ./run.sh --check --json for machines: one object with every material's facts and every
// problem with its code and fix; --candidate DIR checks files before they go into keys/.
// Both only read: keys/ and the config stay byte for byte as they were.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildPki, type Pki } from '../../fixtures/pki.js';
import { importPkiInto, makeRunFolder, type RunFolder } from '../errors/run-folder.js';

interface Report {
  ok: boolean;
  candidate?: string;
  materials: Array<Record<string, unknown>>;
  keystore?: { state: string; generation: number; activeMasterKey: { ageDays: number; id: number } };
  problems: Array<{ severity: string; code: string; message: string; file?: string; fix?: string }>;
}

describe('run.sh --check --json and --candidate', () => {
  let pki: Pki;
  let f: RunFolder;
  before(async () => {
    pki = await buildPki();
    f = makeRunFolder('sf-check-json-');
    importPkiInto(f, pki, { withCrl: true });
    writeFileSync(f.configPath, `${readFileSync(f.configPath, 'utf8')}max_conections=10\n`);
  });
  after(() => f?.remove());

  function check(args: string[]): { status: number | null; report: Report } {
    const res = f.run('run.sh', ['--check', '--json', ...args]);
    assert.ok(res.stdout.startsWith('{'), `stdout is the JSON object only: ${res.stdout.slice(0, 200)} ${res.stderr}`);
    return { status: res.status, report: JSON.parse(res.stdout) as Report };
  }

  it('describes every material, the keystore and every problem with code and fix; writes nothing', () => {
    const before = f.snapshot();
    const { status, report } = check([]);
    assert.equal(status, 0);
    assert.equal(report.ok, true);
    const byKind = new Map(report.materials.map((m) => [m.kind, m]));
    const server = byKind.get('server_cert') ?? {};
    for (const field of ['subject', 'issuer', 'keyBits', 'signatureAlgorithm', 'serial', 'notAfter', 'daysLeft'])
      assert.ok(server[field] !== undefined, `server_cert.${field}`);
    assert.equal(server.file, 'keys/server.crt');
    assert.equal(String(server.serial).toUpperCase(), pki.server.serial.toUpperCase());
    assert.equal(byKind.get('ca')?.subject !== undefined, true);
    assert.deepEqual([byKind.get('server_key')?.encrypted, byKind.get('server_key')?.matchesCertificate], [true, true]);
    assert.equal(byKind.get('crl')?.entries, 1);
    assert.ok(typeof byKind.get('crl')?.nextUpdate === 'string');
    assert.equal(report.keystore?.state, 'good');
    assert.equal(report.keystore?.activeMasterKey.ageDays, 0);
    const typo = report.problems.find((p) => p.code === 'CONFIG_UNKNOWN_ITEM');
    assert.deepEqual([typo?.severity, typo?.fix], ['warning', 'rename it to max_connections']);
    assert.equal(f.snapshot(), before, 'keys/ or the config changed');
  });

  it('checks a candidate folder before it is copied in: every refusal listed, exit 1, nothing written', () => {
    const dir = join(f.dir, 'candidate');
    mkdirSync(dir);
    copyFileSync(pki.ca.cert, join(dir, 'ca.crt'));
    copyFileSync(pki.bad.serverExpired, join(dir, 'server.crt'));
    copyFileSync(pki.server.keyEncrypted, join(dir, 'server.key'));
    copyFileSync(pki.crls.expired, join(dir, 'ca.crl'));
    const before = f.snapshot();
    const { status, report } = check(['--candidate', dir]);
    assert.equal(status, 1);
    assert.equal(report.ok, false);
    assert.equal(report.candidate, dir);
    const errors = report.problems.filter((p) => p.severity === 'error');
    assert.ok(
      errors.some((p) => p.code === 'PKI_CERT_EXPIRED' && p.file === join(dir, 'server.crt') && (p.fix ?? '') !== ''),
      JSON.stringify(errors),
    );
    assert.ok(
      errors.some((p) => p.code === 'PKI_CRL_EXPIRED'),
      'both problems, not only the first',
    );
    assert.equal(f.snapshot(), before);
  });

  it('passes a good candidate and refuses --json without --check (usage, exit 2)', () => {
    const dir = join(f.dir, 'good-candidate');
    mkdirSync(dir);
    copyFileSync(pki.ca.cert, join(dir, 'ca.crt'));
    copyFileSync(pki.server.cert, join(dir, 'server.crt'));
    copyFileSync(pki.server.keyEncrypted, join(dir, 'server.key'));
    const { status, report } = check(['--candidate', dir]);
    assert.equal(status, 0, JSON.stringify(report.problems));
    assert.equal(
      report.materials.some((m) => m.kind === 'crl'),
      false,
    );
    assert.equal(f.run('run.sh', ['--json']).status, 2);
  });
});
