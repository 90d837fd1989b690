// docker/k8s/reimport.sh: a certificate and an unencrypted key as cert-manager writes them
// become an import into an existing run folder (the keystore stays, server_key_mm changes), and
// a refused one leaves the run folder as it was. Real scripts, no cluster.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildPki, buildServerPair, importArgsOf } from '../../fixtures/pki.js';
import { projectRoot } from '../../fixtures/project-root.js';

function run(file: string, args: string[], cwd: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, out: `${stdout}${stderr}` });
    });
  });
}

const itemOf = (configPath: string, item: string): string | undefined =>
  new RegExp(`^${item}=(.*)$`, 'm').exec(readFileSync(configPath, 'utf8'))?.[1];

test('reimport.sh: a cert-manager style pair (plain key) is imported under a fresh password; a refused pair changes nothing', {
  timeout: 180_000,
}, async (t) => {
  const pki = await buildPki();
  const runDir = mkdtempSync(join(tmpdir(), 'streamfront-reimport-'));
  t.after(() => rmSync(runDir, { recursive: true, force: true }));
  mkdirSync(join(runDir, 'config'));
  const configPath = join(runDir, 'config', 'streamserver.conf');
  copyFileSync(join(projectRoot, 'config', 'streamserver.conf'), configPath);
  const passwordFile = join(runDir, 'first-password');
  writeFileSync(passwordFile, `${pki.password}\n`, { mode: 0o600 });
  const first = await run(
    'bash',
    [join(projectRoot, 'certImport.sh'), ...importArgsOf(pki), '--password-file', passwordFile],
    runDir,
  );
  assert.equal(first.code, 0, first.out);
  rmSync(passwordFile);
  const mmBefore = itemOf(configPath, 'server_key_mm');

  const issued = await buildServerPair(pki);
  const script = join(projectRoot, 'docker', 'k8s', 'reimport.sh');
  const done = await run('bash', [script, runDir, issued.cert, issued.keyPlain], projectRoot);
  assert.equal(done.code, 0, done.out);
  assert.match(done.out, /reimport: imported; the previous files are in .*keys-old-/);
  assert.equal(readFileSync(join(runDir, 'keys', 'server.crt'), 'utf8'), readFileSync(issued.cert, 'utf8'));
  assert.match(readFileSync(join(runDir, 'keys', 'server.key'), 'utf8'), /^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
  assert.notEqual(itemOf(configPath, 'server_key_mm'), mmBefore, 'a new password, sealed by the keystore');
  const aside = readdirSync(runDir).filter((n) => n.startsWith('keys-old-'));
  assert.equal(aside.length, 1);
  assert.equal(
    readFileSync(join(runDir, aside[0] as string, 'server.crt'), 'utf8'),
    readFileSync(pki.server.cert, 'utf8'),
  );
  assert.equal(
    readFileSync(join(runDir, 'keys', 'ca.crl'), 'utf8'),
    readFileSync(pki.crls.good, 'utf8'),
    'the CRL is kept',
  );
  // The front would start on it: same loader, keystore decrypts the new password.
  const check = await run('bash', [join(projectRoot, 'run.sh'), '--check'], runDir);
  assert.equal(check.code, 0, check.out);
  assert.ok(!done.out.includes(pki.password));

  // A key that is not the certificate's: refused, and the run folder is exactly as before.
  const other = await buildServerPair(pki);
  const mmAfter = itemOf(configPath, 'server_key_mm');
  const refused = await run('bash', [script, runDir, issued.cert, other.keyPlain], projectRoot);
  assert.equal(refused.code, 1, refused.out);
  assert.match(refused.out, /reimport: the import refused the new material; the run folder is as it was/);
  assert.equal(readFileSync(join(runDir, 'keys', 'server.crt'), 'utf8'), readFileSync(issued.cert, 'utf8'));
  assert.equal(itemOf(configPath, 'server_key_mm'), mmAfter);
  assert.equal(readdirSync(runDir).filter((n) => n.startsWith('keys-old-')).length, 1);
  assert.equal((await run('bash', [join(projectRoot, 'run.sh'), '--check'], runDir)).code, 0);
});
