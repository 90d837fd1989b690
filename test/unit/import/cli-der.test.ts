// DER inputs through the whole command line: certImport.sh accepts a DER CA certificate,
// server certificate and CRL, copies them unchanged, and run.sh --check from the same run
// folder accepts what the import accepted (the one loader on both sides).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildPki, type Pki } from '../../fixtures/pki.js';
import { cleanEnv, copyInto, errorLines, makeRunFolder, type RunFolder } from '../errors/run-folder.js';
import { waitUntil } from '../../fixtures/wait.js';

/** One GET over mutual TLS as the given client: the HTTP status, or the error that ended the connection. */
function getAs(port: number, ca: string, cert: string, key: string): Promise<{ status?: number; error?: string }> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/v2/ready',
        servername: 'localhost',
        ca: readFileSync(ca),
        cert: readFileSync(cert),
        key: readFileSync(key),
        agent: false,
        timeout: 10_000,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    req.end();
  });
}

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
    for (const name of ['ca.der', 'server.der', 'ca.crl.der'])
      assert.ok(isDer(join(f.dir, name)), `${name} is not DER`);
    const res = f.run('certImport.sh', [
      '-c',
      'ca.der',
      '-s',
      'server.der',
      '-k',
      'server.key',
      '-r',
      'ca.crl.der',
      '--password-file',
      f.passwordFile(pki.password),
    ]);
    assert.equal(res.status, 0, res.stderr);
    assert.deepEqual(errorLines(res.stderr, 'certImport'), []);
    assert.match(res.stdout, /^Imported\. Start the front with: \.\/run\.sh$/m);
    const copies: Array<[string, string]> = [
      ['ca.der', 'ca.crt'],
      ['server.der', 'server.crt'],
      ['server.key', 'server.key'],
      ['ca.crl.der', 'ca.crl'],
    ];
    for (const [source, name] of copies) {
      const target = join(f.keysDir, name);
      assert.deepEqual(
        readFileSync(target),
        readFileSync(join(f.dir, source)),
        `keys/${name} is not an exact copy of ${source}`,
      );
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

  it('run.sh serves with the DER material: a client of the CA gets an answer, a client the DER CRL revokes is refused (403)', async () => {
    f.setConfigItems({
      server_ip: '127.0.0.1',
      server_port: '0',
      admin_ip: '127.0.0.1',
      admin_port: '0',
      access_log: 'off',
    });
    const child = spawn('bash', ['./run.sh'], { cwd: f.dir, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      const port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`run.sh did not start in 30 s:\n${output}`)), 30_000);
        const onData = (chunk: Buffer): void => {
          output += chunk.toString('utf8');
          const m = /"tls":"127\.0\.0\.1:(\d+)"/.exec(output);
          if (m !== null) {
            clearTimeout(timer);
            resolve(Number(m[1]));
          }
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        void exited.then((code) => reject(new Error(`run.sh exited (${String(code)}) before serving:\n${output}`)));
      });
      const good = await getAs(port, pki.ca.cert, pki.clients.good.cert, pki.clients.good.key);
      assert.equal(good.error, undefined, `the good client was refused: ${String(good.error)}\n${output}`);
      assert.ok(good.status !== undefined && good.status !== 403, `good client: ${String(good.status)}`);
      const revoked = await getAs(port, pki.ca.cert, pki.clients.revoked.cert, pki.clients.revoked.key);
      // Refused clients are told why in HTTP (docs/clients.md): 403, never the engine's answer.
      assert.equal(revoked.status, 403, 'the revoked client is answered 403');
      // The front writes its log in batches at least every 250 ms.
      await waitUntil('the revocation refusal logged', () => /"reason":"revoked"/.test(output)).catch(() => undefined);
      assert.match(output, /"reason":"revoked"/, `no revocation refusal logged:\n${output}`);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});
