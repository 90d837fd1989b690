// run.sh end to end over mutual TLS: a good client reaches the engine with its exact bytes,
// bad certificates are refused and counted by reason, forged identity headers never reach the
// engine, and the admin listener reports all of it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { clientOptions, startFrontProcess, type ClientName, type FrontProcess } from '../../fixtures/front-process.js';
import { buildInferBody } from '../../fixtures/load.js';
import { waitUntil } from '../../fixtures/wait.js';
import { adminGet, call, INFER_PATH, jsonOf, metricSum, scrape } from './client.js';

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

let front: FrontProcess;

before(async () => {
  front = await startFrontProcess();
});

after(async () => {
  await front?.stop();
});

describe('e2e front: a good client', () => {
  it('gets the engine answer for an 8 MB body, and the engine receives exactly the bytes sent', async () => {
    const payload = randomBytes(6 * 1024 * 1024);
    const body = Buffer.from(buildInferBody(payload));
    assert.ok(body.length > 8 * 1024 * 1024, `body is ${body.length} bytes`);
    await front.engine.clearRequests();
    const res = await call(front.port, {
      tls: clientOptions(front.pki, 'good'),
      body,
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(res.status, 200, res.body.toString().slice(0, 300));
    const answer = jsonOf(res) as { isSuccess: boolean; outputs: Array<{ shape: number[]; data: string }> };
    assert.equal(answer.isSuccess, true);
    // The simulator answers with the SHA-256 of the decoded input: the round trip is intact.
    assert.deepEqual(answer.outputs[0]?.shape, [payload.length]);
    assert.equal(Buffer.from(answer.outputs[0]?.data ?? '', 'base64').toString('utf8'), sha256(payload));
    const seen = await front.engine.requests();
    assert.equal(seen.length, 1, 'one request reached the engine');
    assert.equal(seen[0]?.path, INFER_PATH);
    assert.equal(seen[0]?.bytes, body.length);
    assert.equal(seen[0]?.bodySha256, sha256(body));
  });

  it('with an EC certificate is served too', async () => {
    const res = await call(front.port, { tls: clientOptions(front.pki, 'goodEc'), path: '/v2/ready' });
    assert.equal(res.status, 200);
    assert.deepEqual(jsonOf(res), { isReady: true });
  });
});

describe('e2e front: refused clients', () => {
  const cases: Array<[ClientName, string]> = [
    ['none', 'no-certificate'],
    ['otherCa', 'unknown-ca'],
    ['revoked', 'revoked'],
    ['expired', 'expired'],
  ];
  for (const [who, reason] of cases) {
    it(`refuses ${who === 'none' ? 'a client without a certificate' : `the ${who} certificate`} and counts it as ${reason}`, async () => {
      const before = metricSum(await scrape(front.adminPort), 'streamfront_tls_handshakes_refused_total', { reason });
      await front.engine.clearRequests();
      // The client reads why, as an HTTP answer, and the connection closes (nginx-style).
      const res = await call(front.port, { tls: clientOptions(front.pki, who), path: '/v2/ready' });
      assert.equal(res.status, reason === 'revoked' ? 403 : 400);
      assert.equal((jsonOf(res) as { reason?: string }).reason, reason);
      assert.equal(res.headers.connection, 'close');
      // Its access line says why it was refused.
      await front.waitForLog((l) => l.msg === 'request' && l.refused === reason && l.status === res.status);
      // The refusal is counted when the server side of the handshake ends: wait for the count to move.
      const refusedNow = async (): Promise<number> =>
        metricSum(await scrape(front.adminPort), 'streamfront_tls_handshakes_refused_total', { reason });
      await waitUntil(`the ${reason} refusal counted`, async () => (await refusedNow()) > before);
      const after = await refusedNow();
      assert.equal(after - before, 1, `refused handshakes with reason ${reason}`);
      assert.deepEqual(await front.engine.requests(), [], 'nothing reached the engine');
    });
  }
});

describe('e2e front: identity headers', () => {
  it('a forged identity never reaches the engine; the real client certificate does', async () => {
    const forged = {
      'x-forwarded-client-cert': 'Hash=00;Subject="CN=admin"',
      'x-forwarded-for': '10.9.8.7',
      'x-forwarded-host': 'evil.example',
      forwarded: 'for=10.9.8.7',
      'x-real-ip': '10.9.8.7',
      'true-client-ip': '10.9.8.7',
      'x-client-cert': 'CN=admin',
      'x-ssl-client-dn': 'CN=admin',
      'ssl-client-verify': 'SUCCESS',
      'x-remote-user': 'admin',
      'x-authenticated-user': 'admin',
    };
    await front.engine.clearRequests();
    const res = await call(front.port, {
      tls: clientOptions(front.pki, 'good'),
      path: '/v2/live',
      headers: { ...forged, 'x-trace': 'kept' },
    });
    assert.equal(res.status, 200);
    const headers = (await front.engine.requests())[0]?.headers ?? {};
    const der = new X509Certificate(readFileSync(front.pki.clients.good.cert)).raw;
    const xfcc = String(headers['x-forwarded-client-cert']);
    assert.ok(xfcc.includes(`Hash=${sha256(der)}`), xfcc);
    assert.ok(xfcc.includes('CN=client-good'), xfcc);
    assert.ok(!xfcc.includes('admin'), xfcc);
    assert.equal(headers['x-forwarded-for'], '127.0.0.1');
    for (const name of [
      'x-forwarded-host',
      'forwarded',
      'x-real-ip',
      'true-client-ip',
      'x-client-cert',
      'x-ssl-client-dn',
      'ssl-client-verify',
      'x-remote-user',
      'x-authenticated-user',
    ]) {
      assert.equal(headers[name], undefined, `${name} reached the engine`);
    }
    assert.equal(headers['x-trace'], 'kept', 'ordinary headers pass');
  });
});

describe('e2e front: admin listener', () => {
  it('/healthz and /readyz answer on the admin port', async () => {
    const health = await adminGet(front.adminPort, '/healthz');
    assert.equal(health.status, 200);
    assert.equal(jsonOf(health).status, 'up');
    const ready = await adminGet(front.adminPort, '/readyz');
    assert.equal(ready.status, 200, ready.body.toString());
    const body = jsonOf(ready);
    assert.equal(body.status, 'ready');
    assert.equal(body.engine, 'ready');
    assert.equal(body.serverCertSerial, front.pki.server.serial);
  });

  it('/metrics shows requests by route and status, the engine latency histogram and days to expiry', async () => {
    const before = await scrape(front.adminPort);
    const ok = (s: typeof before): number => metricSum(s, 'streamfront_requests_total', { status: '200' });
    const notFound = (s: typeof before): number => metricSum(s, 'streamfront_requests_total', { status: '400' });
    const tls = clientOptions(front.pki, 'good');
    for (let i = 0; i < 3; i++) assert.equal((await call(front.port, { tls, path: '/v2/live' })).status, 200);
    // The engine's own error (400 INVALID_URI) is passed through and counted under its status.
    assert.equal((await call(front.port, { tls, path: '/v2/nothing/here' })).status, 400);
    // Counted once each answer has left (onResponse): wait for the counts, then check they are exact.
    await waitUntil('the four answers counted', async () => {
      const s = await scrape(front.adminPort);
      return ok(s) - ok(before) >= 3 && notFound(s) - notFound(before) >= 1;
    });
    const now = await scrape(front.adminPort);
    assert.equal(ok(now) - ok(before), 3);
    assert.equal(notFound(now) - notFound(before), 1);
    const routes = now.filter((s) => s.name === 'streamfront_requests_total').map((s) => s.labels.route);
    assert.ok(
      routes.every((r) => typeof r === 'string' && r !== ''),
      'every request series names its route',
    );

    const count = metricSum(now, 'streamfront_engine_latency_seconds_count');
    assert.equal(count - metricSum(before, 'streamfront_engine_latency_seconds_count'), 4);
    assert.equal(metricSum(now, 'streamfront_engine_latency_seconds_bucket', { le: '+Inf' }), count);
    assert.ok(metricSum(now, 'streamfront_engine_latency_seconds_sum') > 0);

    const days = (kind: string): number =>
      (metricSum(now, 'streamfront_material_expiry_timestamp_seconds', { kind }) - Date.now() / 1000) / 86_400;
    const untilDays = (path: string): number =>
      (Date.parse(new X509Certificate(readFileSync(path)).validTo) - Date.now()) / 86_400_000;
    assert.ok(
      Math.abs(days('server_cert') - untilDays(front.pki.server.cert)) < 0.1,
      `server_cert ${days('server_cert')}`,
    );
    assert.ok(Math.abs(days('ca') - untilDays(front.pki.ca.cert)) < 0.1, `ca ${days('ca')}`);
    assert.ok(
      days('crl_next_update') > 25 && days('crl_next_update') <= 31,
      `crl_next_update ${days('crl_next_update')}`,
    );
  });
});

describe('e2e front: secrets', () => {
  it('the key password is in neither the logs, the config nor the command line of the serving process', async () => {
    assert.ok(front.logLines().length > 0);
    const logs = JSON.stringify(front.logLines());
    assert.ok(!logs.includes(front.pki.password), 'password in the logs');
    const config = readFileSync(front.configPath, 'utf8');
    assert.ok(!config.includes(front.pki.password), 'password in streamserver.conf');
    assert.match(config, /^server_key_mm=\S+$/m, 'the config holds the protected password instead');
    const cmdline = `/proc/${front.pid}/cmdline`;
    if (existsSync(cmdline)) assert.ok(!readFileSync(cmdline, 'utf8').includes(front.pki.password), 'password in argv');
  });
});
