// The file ownership rule through the whole command: `bash ./certImport.sh` refuses an input or
// a keys/ folder owned by another user with exit 1 and one line naming the file and the rule,
// and leaves keys/ and the config exactly as they were. Needs root to chown.
import assert from 'node:assert/strict';
import { chownSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildPki, type Pki } from '../../fixtures/pki.js';
import { copyInto, errorLines, isRoot, makeRunFolder, type RunFolder } from '../errors/run-folder.js';

const NOBODY = 65534;

interface Inputs {
  ca: string;
  serverCert: string;
  serverKey: string;
  crl: string;
}

/** Copies of the good PKI in the run folder, with the names an operator would type. */
function inputsIn(folder: RunFolder, pki: Pki): Inputs {
  return {
    ca: copyInto(folder, pki.ca.cert, 'ca.crt', 0o644),
    serverCert: copyInto(folder, pki.server.cert, 'server.crt', 0o644),
    serverKey: copyInto(folder, pki.server.keyEncrypted, 'server.key', 0o600),
    crl: copyInto(folder, pki.crls.good, 'ca.crl', 0o644),
  };
}

const ARGS = ['-c', 'ca.crt', '-s', 'server.crt', '-k', 'server.key', '-r', 'ca.crl'];

describe('certImport.sh refuses files owned by another user', () => {
  let pki: Pki;
  const folders: RunFolder[] = [];
  const folder = (): RunFolder => {
    const f = makeRunFolder('sf-own-');
    folders.push(f);
    return f;
  };
  before(async () => {
    pki = await buildPki();
  });
  after(() => {
    for (const f of folders) f.remove();
  });

  const roles: Array<[keyof Inputs, string, string]> = [
    ['ca', 'ca.crt', 'CA certificate'],
    ['serverCert', 'server.crt', 'server certificate'],
    ['serverKey', 'server.key', 'server private key'],
    ['crl', 'ca.crl', 'CRL'],
  ];
  for (const [role, name, what] of roles) {
    it(`refuses a ${what} owned by uid ${NOBODY} (fresh run folder, --password-file): exit 1, one line, nothing written`, (t) => {
      if (!isRoot) return t.skip('needs root to chown');
      const f = folder();
      const inputs = inputsIn(f, pki);
      chownSync(inputs[role], NOBODY, NOBODY);
      const before = f.snapshot();
      const res = f.run('certImport.sh', [...ARGS, '--password-file', f.passwordFile(pki.password)]);
      assert.equal(res.status, 1, res.stderr);
      const lines = errorLines(res.stderr, 'certImport');
      assert.equal(lines.length, 1, res.stderr);
      assert.equal(
        lines[0],
        `certImport: error: ${name}: ${what} is owned by uid ${NOBODY}, not by the current user (uid 0); fix: copy it to a file you own, or run: chown 0 ${name} [MATERIAL_FILE_NOT_OWNED]`,
      );
      assert.equal(f.snapshot(), before, 'keys/ or the config changed');
      assert.ok(!res.stdout.includes('Imported'), res.stdout);
      assert.ok(!res.stderr.includes(pki.password) && !res.stdout.includes(pki.password), 'the password was printed');
    });
  }

  it('refuses a CA certificate owned by another user on a re-import (--password-stdin): the keystore and config stay byte for byte', (t) => {
    if (!isRoot) return t.skip('needs root to chown');
    const f = folder();
    inputsIn(f, pki);
    const first = f.run('certImport.sh', [...ARGS, '--password-stdin'], `${pki.password}\n`);
    assert.equal(first.status, 0, first.stderr);
    // Back up the imported files as the occupied-keys/ hint says; the keystores stay in keys/.
    mkdirSync(join(f.dir, 'keys.bak'));
    for (const name of ['ca.crt', 'server.crt', 'server.key', 'ca.crl'])
      renameSync(join(f.keysDir, name), join(f.dir, 'keys.bak', name));
    chownSync(join(f.dir, 'ca.crt'), NOBODY, NOBODY);
    const before = f.snapshot();
    const res = f.run('certImport.sh', [...ARGS, '--password-stdin'], `${pki.password}\n`);
    assert.equal(res.status, 1, res.stderr);
    const lines = errorLines(res.stderr, 'certImport');
    assert.equal(lines.length, 1, res.stderr);
    assert.match(
      lines[0] ?? '',
      /^certImport: error: ca\.crt: CA certificate is owned by uid 65534, not by the current user \(uid 0\); fix: .*\[MATERIAL_FILE_NOT_OWNED\]$/,
    );
    assert.equal(f.snapshot(), before, 'keys/ or the config changed');
  });

  it(`refuses a keys/ folder owned by uid ${NOBODY}: exit 1, one line naming keys/ and the rule, nothing written`, (t) => {
    if (!isRoot) return t.skip('needs root to chown');
    const f = folder();
    inputsIn(f, pki);
    mkdirSync(f.keysDir, { mode: 0o700 });
    chownSync(f.keysDir, NOBODY, NOBODY);
    const before = f.snapshot();
    const res = f.run('certImport.sh', [...ARGS, '--password-file', f.passwordFile(pki.password)]);
    assert.equal(res.status, 1, res.stderr);
    const lines = errorLines(res.stderr, 'certImport');
    assert.equal(lines.length, 1, res.stderr);
    assert.equal(
      lines[0],
      `certImport: error: keys/: is owned by uid ${NOBODY}, not by the current user (uid 0); fix: chown 0 keys [IMPORT_KEYS_DIR_UNSAFE]`,
    );
    assert.equal(f.snapshot(), before, 'keys/ or the config changed');
  });

  it(`refuses a password file owned by uid ${NOBODY}, naming it, and writes nothing`, (t) => {
    if (!isRoot) return t.skip('needs root to chown');
    const f = folder();
    inputsIn(f, pki);
    const passwordFile = f.passwordFile(pki.password);
    chownSync(passwordFile, NOBODY, NOBODY);
    const before = f.snapshot();
    const res = f.run('certImport.sh', [...ARGS, '--password-file', passwordFile]);
    assert.equal(res.status, 1, res.stderr);
    const lines = errorLines(res.stderr, 'certImport');
    assert.equal(lines.length, 1, res.stderr);
    assert.ok(
      lines[0]?.startsWith(
        `certImport: error: ${passwordFile}: password file is owned by uid ${NOBODY}, not by the current user;`,
      ),
      lines[0],
    );
    assert.match(lines[0] ?? '', /\[IMPORT_PASSWORD_FILE_UNSAFE\]$/);
    assert.equal(f.snapshot(), before, 'keys/ or the config changed');
  });

  it('imports the same files once they belong to the user (the refusals above are about ownership only)', (t) => {
    if (!isRoot) return t.skip('needs root to chown');
    const f = folder();
    const inputs = inputsIn(f, pki);
    chownSync(inputs.ca, NOBODY, NOBODY);
    chownSync(inputs.ca, 0, 0);
    const res = f.run('certImport.sh', [...ARGS, '--password-file', f.passwordFile(pki.password)]);
    assert.equal(res.status, 0, res.stderr);
    assert.equal(f.configItems().get('ca_crt'), 'keys/ca.crt');
  });
});
