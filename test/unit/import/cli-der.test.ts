// DER inputs through the whole command line: certImport.sh accepts a DER CA certificate,
// server certificate and CRL, copies them unchanged, and run.sh --check from the same run
// folder accepts what the import accepted (the one loader on both sides).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildPki, type Pki } from '../../fixtures/pki.js';
import { copyInto, errorLines, makeRunFolder, type RunFolder } from '../errors/run-folder.js';

function isDer(path: string): boolean {
  const bytes = readFileSync(path);
  return bytes[0] === 0x30 && !bytes.toString('latin1').includes('-----BEGIN');
}

describe('certImport.sh with DER certificates and CRL', () => {
  let pki: Pki;
  let f: RunFolder;
  before(async () => {
    pki = await buildPki();
    f = makeRunFolder('sf-der-');
    // Converted by openssl itself, as an operator would, not by the fixture's own encoder.
    execFileSync('openssl', ['x509', '-in', pki.ca.cert, '-outform', 'DER', '-out', join(f.dir, 'ca.der')]);
    execFileSync('openssl', ['x509', '-in', pki.server.cert, '-outform', 'DER', '-out', join(f.dir, 'server.der')]);
    execFileSync('openssl', ['crl', '-in', pki.crls.good, '-outform', 'DER', '-out', join(f.dir, 'ca.crl.der')]);
    copyInto(f, pki.server.keyEncrypted, 'server.key', 0o600);
  });
  after(() => f.remove());

  it('imports them: exit 0, exact copies in keys/ (0400), the config names keys/ca.crt, keys/server.crt, keys/ca.crl', () => {
    for (const name of ['ca.der', 'server.der', 'ca.crl.der']) assert.ok(isDer(join(f.dir, name)), `${name} is not DER`);
    const res = f.run('certImport.sh', ['-c', 'ca.der', '-s', 'server.der', '-k', 'server.key', '-r', 'ca.crl.der', '--password-file', f.passwordFile(pki.password)]);
    assert.equal(res.status, 0, res.stderr);
    assert.deepEqual(errorLines(res.stderr, 'certImport'), []);
    assert.match(res.stdout, /^Imported\. Start the front with: \.\/run\.sh$/m);
    const copies: Array<[string, string]> = [['ca.der', 'ca.crt'], ['server.der', 'server.crt'], ['server.key', 'server.key'], ['ca.crl.der', 'ca.crl']];
    for (const [source, name] of copies) {
      const target = join(f.keysDir, name);
      assert.deepEqual(readFileSync(target), readFileSync(join(f.dir, source)), `keys/${name} is not an exact copy of ${source}`);
      assert.equal(statSync(target).mode & 0o777, 0o400, `keys/${name} mode`);
    }
    const items = f.configItems();
    assert.equal(items.get('ca_crt'), 'keys/ca.crt');
    assert.equal(items.get('server_crt'), 'keys/server.crt');
    assert.equal(items.get('server_key'), 'keys/server.key');
    assert.equal(items.get('crl'), 'keys/ca.crl');
    assert.match(items.get('server_key_mm') ?? '', /^SFKMC1\$/);
  });

  it('run.sh --check from the same run folder accepts the imported DER material (exit 0)', () => {
    const res = f.run('run.sh', ['--check']);
    assert.equal(res.status, 0, `${res.stdout}\n${res.stderr}`);
    assert.match(res.stdout, /^check passed: /m);
    assert.deepEqual(errorLines(res.stderr, 'run'), []);
  });
});
