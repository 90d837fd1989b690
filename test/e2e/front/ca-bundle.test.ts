// run.sh end to end with a CA bundle (root + two intermediates) and a CRL file holding the
// root's CRL (revoking one intermediate) and the intermediate's (revoking one client): clients
// of the intermediate are served, revoked ones and those of the revoked intermediate get 403,
// a client of a CA outside the bundle is refused at the handshake, and a new CRL file that
// revokes an intermediate's client takes effect live.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import {
  clientOptions,
  startFrontProcess,
  type ClientTlsOptions,
  type FrontProcess,
} from '../../fixtures/front-process.js';
import { buildBundlePki, buildPki, type BundlePki, type CertFiles, type Pki } from '../../fixtures/pki.js';
import { waitUntil } from '../../fixtures/wait.js';
import { call, jsonOf } from './client.js';

let pki: Pki;
let b: BundlePki;
let front: FrontProcess;

const tlsOf = (files: CertFiles): ClientTlsOptions => ({
  ca: readFileSync(pki.ca.cert),
  cert: readFileSync(files.cert),
  key: readFileSync(files.key),
});

/** Status and refusal reason of one request on a fresh connection. */
async function ask(tls: ClientTlsOptions): Promise<{ status: number; reason: string | undefined }> {
  const res = await call(front.port, { tls, path: '/v2/ready' });
  const reason = res.status === 200 ? undefined : (jsonOf(res) as { reason?: string }).reason;
  return { status: res.status, reason };
}

before(async () => {
  pki = await buildPki();
  b = await buildBundlePki(pki);
  front = await startFrontProcess({
    pki,
    importArgs: ['-c', b.bundle, '-s', pki.server.cert, '-k', pki.server.keyEncrypted, '-r', b.crls.full],
  });
});

after(async () => {
  await front?.stop();
});

describe('e2e front: a CA bundle with intermediates', () => {
  it('warns at start-up about the CA of the bundle that has no CRL in the file', async () => {
    const line = await front.waitForLog((l) => l.code === 'PKI_CRL_MISSING_FOR_CA');
    assert.match(String(line.msg), /'CN=revoked intermediate, O=streamfront test' \(certificate 3 of 3\)/);
  });

  it('serves a client issued by the intermediate, and one issued by the root', async () => {
    assert.deepEqual(await ask(tlsOf(b.clients.good)), { status: 200, reason: undefined });
    assert.deepEqual(await ask(clientOptions(pki, 'good')), { status: 200, reason: undefined });
  });

  it("refuses a client revoked by the intermediate's CRL", async () => {
    assert.deepEqual(await ask(tlsOf(b.clients.revoked)), { status: 403, reason: 'revoked' });
  });

  it("refuses a client of an intermediate that the root's CRL revokes", async () => {
    assert.deepEqual(await ask(tlsOf(b.clients.ofRevokedIntermediate)), { status: 403, reason: 'revoked' });
  });

  it('refuses a client of a CA that is not in the bundle', async () => {
    assert.deepEqual(await ask(clientOptions(pki, 'otherCa')), { status: 400, reason: 'unknown-ca' });
  });

  it("a new CRL file revoking another of the intermediate's clients takes effect live", async (t) => {
    assert.deepEqual(await ask(tlsOf(b.clients.later)), { status: 200, reason: undefined });
    const crlItem = readFileSync(front.configPath, 'utf8').match(/^crl=(.*)$/m)?.[1] as string;
    const target = crlItem.startsWith('/') ? crlItem : join(front.runDir, crlItem);
    const staged = join(front.runDir, 'keys', '.ca.crl.new');
    copyFileSync(b.crls.later, staged);
    chmodSync(staged, 0o400);
    renameSync(staged, target);
    const ms = await waitUntil(
      'the later client refused',
      async () => (await ask(tlsOf(b.clients.later))).status === 403,
      { timeoutMs: 20_000, everyMs: 100 },
    );
    t.diagnostic(`the new CRL refused the intermediate's client ${ms.toFixed(0)} ms after the rename`);
    assert.deepEqual(await ask(tlsOf(b.clients.later)), { status: 403, reason: 'revoked' });
    // The rest of the bundle's verdicts hold under the new file.
    assert.deepEqual(await ask(tlsOf(b.clients.good)), { status: 200, reason: undefined });
    assert.deepEqual(await ask(tlsOf(b.clients.ofRevokedIntermediate)), { status: 403, reason: 'revoked' });
    await front.waitForLog((l) => l.event === 'material_reloaded');
  });
});

describe('e2e front: a CA bundle served by two workers', () => {
  let group: FrontProcess;
  before(async () => {
    group = await startFrontProcess({
      pki,
      config: { workers: '2' },
      importArgs: ['-c', b.bundle, '-s', pki.server.cert, '-k', pki.server.keyEncrypted, '-r', b.crls.full],
    });
  });
  after(async () => {
    await group?.stop();
  });

  it("each worker holds every issuer's revocation set (sent over IPC)", async () => {
    // Several fresh connections, so both workers answer some of them.
    for (let i = 0; i < 6; i++) {
      const good = await call(group.port, { tls: tlsOf(b.clients.good), path: '/v2/ready' });
      assert.equal(good.status, 200);
      const revoked = await call(group.port, { tls: tlsOf(b.clients.revoked), path: '/v2/ready' });
      assert.equal(revoked.status, 403);
      const ofRevoked = await call(group.port, { tls: tlsOf(b.clients.ofRevokedIntermediate), path: '/v2/ready' });
      assert.equal(ofRevoked.status, 403);
    }
  });
});
