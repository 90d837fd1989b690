// A CA bundle through the operator's entry points: certImport.sh takes a root with its
// intermediates (exit 0, run.sh --check passes, the CRL coverage warning shown), and refuses a
// bad bundle with one line naming the file and which certificate, writing nothing.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildBundlePki, buildPki, type BundlePki, type Pki } from '../../fixtures/pki.js';
import { copyInto, errorLines, makeRunFolder, type RunFolder } from '../errors/run-folder.js';

describe('certImport.sh with a CA bundle', () => {
  let pki: Pki;
  let b: BundlePki;
  const folders: RunFolder[] = [];
  /** A run folder with the bundle PKI's files under the README's names; `ca` is the CA file to import. */
  const folder = (ca: string): RunFolder => {
    const f = makeRunFolder('sf-bundle-');
    folders.push(f);
    copyInto(f, ca, 'bundle.crt', 0o644);
    copyInto(f, pki.server.cert, 'server.crt', 0o644);
    copyInto(f, pki.server.keyEncrypted, 'server.key', 0o600);
    copyInto(f, b.crls.full, 'ca.crl', 0o644);
    return f;
  };
  const importArgs = (f: RunFolder): string[] => [
    '-c',
    'bundle.crt',
    '-s',
    'server.crt',
    '-k',
    'server.key',
    '-r',
    'ca.crl',
    '--password-file',
    f.passwordFile(pki.password),
  ];
  before(async () => {
    pki = await buildPki();
    b = await buildBundlePki(pki);
  });
  after(() => {
    for (const f of folders) f.remove();
  });

  it('imports a root with two intermediates (exit 0), warns about the CA without a CRL, and run.sh --check passes', () => {
    const f = folder(b.bundle);
    const res = f.run('certImport.sh', importArgs(f));
    assert.equal(res.status, 0, res.stderr);
    const out = `${res.stdout}\n${res.stderr}`;
    assert.match(out, /\+ CA 2 of 3 +CN=streamfront test intermediate, O=streamfront test, valid for \d+ more days/);
    assert.match(out, /\+ CA 3 of 3 +CN=revoked intermediate, O=streamfront test, valid for \d+ more days/);
    assert.match(
      out,
      /warning: the CRL file holds no CRL of the CA 'CN=revoked intermediate, O=streamfront test' \(certificate 3 of 3\)/,
    );
    const caItem = f.configItems().get('ca_crt') as string;
    const caFile = caItem.startsWith('/') ? caItem : join(f.dir, caItem);
    assert.equal(
      (readFileSync(caFile, 'utf8').match(/BEGIN CERTIFICATE/g) ?? []).length,
      3,
      'the whole bundle is kept',
    );
    const check = f.run('run.sh', ['--check']);
    assert.equal(check.status, 0, check.stderr);
    // For machines: every CA of the bundle, both CRLs' entries, and the warning with its code.
    const json = f.run('run.sh', ['--check', '--json']);
    assert.equal(json.status, 0, json.stderr);
    const report = JSON.parse(json.stdout) as {
      materials: Array<Record<string, unknown>>;
      problems: Array<{ severity: string; code: string }>;
    };
    assert.deepEqual(
      report.materials.filter((m) => m.kind === 'ca').map((m) => m.subject),
      [
        'CN=streamfront test CA, O=streamfront test',
        'CN=streamfront test intermediate, O=streamfront test',
        'CN=revoked intermediate, O=streamfront test',
      ],
    );
    assert.equal(report.materials.find((m) => m.kind === 'crl')?.entries, 2);
    assert.deepEqual(
      report.problems.filter((p) => p.code === 'PKI_CRL_MISSING_FOR_CA').map((p) => p.severity),
      ['warning'],
    );
  });

  it('refuses a bundle whose intermediate has no issuer in it: one line naming the file and the certificate, nothing written', () => {
    const f = folder(b.danglingBundle);
    const before = f.snapshot();
    const res = f.run('certImport.sh', importArgs(f));
    assert.equal(res.status, 1, res.stderr);
    const lines = errorLines(res.stderr, 'certImport');
    assert.equal(lines.length, 1, res.stderr);
    assert.match(
      lines[0] as string,
      /^certImport: error: bundle\.crt: certificate 2 of 2 \(subject CN=stray intermediate, O=elsewhere\) is not self-signed and its issuer 'CN=another CA, O=elsewhere' is not in the bundle.*\[PKI_CA_BUNDLE_DANGLING\]$/,
    );
    assert.equal(f.snapshot(), before, 'keys/ or the config changed');
    assert.ok(!existsSync(f.keysDir), 'keys/ was created');
  });

  it('refuses a bundle holding a client certificate: PKI_CA_NOT_CA naming certificate 3 of 3, nothing written', () => {
    const f = folder(b.bundleWithLeaf);
    const before = f.snapshot();
    const res = f.run('certImport.sh', importArgs(f));
    assert.equal(res.status, 1, res.stderr);
    const lines = errorLines(res.stderr, 'certImport');
    assert.equal(lines.length, 1, res.stderr);
    assert.match(
      lines[0] as string,
      /^certImport: error: bundle\.crt: certificate 3 of 3 \(subject CN=bundle-client-good, O=streamfront test\): .*\[PKI_CA_NOT_CA\]$/,
    );
    assert.equal(f.snapshot(), before, 'keys/ or the config changed');
  });
});
