// Checks the test PKI itself against OpenSSL, so the pki tests stand on known-good material.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { buildPki, writeLargeCrl, buildServerPair, buildCrl } from '../../fixtures/pki.js';

const ossl = (args: string[]): string =>
  execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

test('the fixture CRLs verify with openssl against their CA', async () => {
  const pki = await buildPki();
  for (const crl of [pki.crls.good, pki.crls.expired, pki.crls.listsServer, pki.crls.sha1]) {
    const out =
      execFileSync('openssl', ['crl', '-in', crl, '-noout', '-CAfile', pki.ca.cert], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      }) + '';
    assert.ok(true, out);
  }
  const text = ossl(['crl', '-in', pki.crls.listsServer, '-noout', '-text']);
  assert.match(text, new RegExp(pki.server.serial.slice(-8)));
});

test('the server cert verifies against the CA and not against the impostor', async () => {
  const pki = await buildPki();
  const ca = new X509Certificate(readFileSync(pki.ca.cert));
  assert.equal(new X509Certificate(readFileSync(pki.server.cert)).verify(ca.publicKey), true);
  assert.equal(new X509Certificate(readFileSync(pki.bad.serverPss)).verify(ca.publicKey), true);
  assert.equal(new X509Certificate(readFileSync(pki.bad.serverSameNameOtherCa)).verify(ca.publicKey), false);
  const fresh = await buildServerPair(pki);
  assert.notEqual(fresh.serial, pki.server.serial);
  await buildCrl(pki, { revoke: [fresh.cert] });
  const t = Date.now();
  await writeLargeCrl(pki, 100_000);
  assert.ok(Date.now() - t < 5000);
});
