// The container image run the way production runs it: non-root, read-only root file system, no
// capabilities, material and config mounted as Kubernetes lays out a Secret (root-owned,
// defaultMode 0440, group = fsGroup given with --group-add). Built and started by
// docker/test-image.sh, which sets STREAMFRONT_IMAGE and DOCKER_HOST; skipped without them.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setConfigItems } from '../../../src/config/index.js';
import { startEngineSimulator } from '../../../src/engine-sim/server.js';
import { clientOptions } from '../../fixtures/front-process.js';
import { KubeletVolume } from '../../fixtures/kubelet-volume.js';
import { buildCrl, buildPki } from '../../fixtures/pki.js';
import { call } from '../front/client.js';

const IMAGE = process.env.STREAMFRONT_IMAGE;
/** The image's service user (docker/Dockerfile) and the pod fsGroup the volumes carry. */
const UID = 10001;
const FS_GROUP = 2000;
/** docker/k8s/secret-material.example.yaml: the config travels with the material, so one ..data swap changes both. */
const VOLUME_FILES = [
  'streamserver.conf',
  'ca.crt',
  'server.crt',
  'server.key',
  'ca.crl',
  'kmc.ks',
  'StandbyKsf.ks',
] as const;
/** What docker/k8s/deployment.yaml asks for, as docker run flags. */
const HARDENED = [
  '--network',
  'host',
  '--read-only',
  '--cap-drop',
  'ALL',
  '--security-opt',
  'no-new-privileges',
  '--user',
  `${UID}:${UID}`,
];

function docker(args: string[], timeoutMs = 60_000): { code: number; out: string } {
  const r = spawnSync('docker', args, { encoding: 'utf8', timeout: timeoutMs });
  return { code: r.status ?? -1, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

async function waitFor(what: string, probe: () => Promise<boolean> | boolean, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    if (await probe()) return Math.round(performance.now() - t0);
    if (performance.now() - t0 > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('image: import, then serve non-root on a read-only root with the kubelet layout; CRL rotation through ..data; docker stop exits 0', {
  skip:
    IMAGE === undefined
      ? 'STREAMFRONT_IMAGE not set (bash docker/test-image.sh builds the image and runs this)'
      : false,
  timeout: 180_000,
}, async (t) => {
  const image = IMAGE as string;
  const pki = await buildPki();
  const engine = await startEngineSimulator({ host: '127.0.0.1', port: 0 });
  const base = mkdtempSync(join(tmpdir(), 'streamfront-image-'));
  chmodSync(base, 0o755);
  const name = `streamfront-test-${process.pid}`;
  t.after(async () => {
    docker(['rm', '-f', name]);
    await engine.close();
    rmSync(base, { recursive: true, force: true });
  });

  // The run folder the import writes into, owned by the image's user, as a host volume would be.
  const runDir = join(base, 'run');
  mkdirSync(runDir, { mode: 0o700 });
  chownSync(runDir, UID, UID);
  const [tlsPort, adminPort] = [await freePort(), await freePort()];
  const init = docker(['run', '--rm', ...HARDENED, '-v', `${runDir}:/srv/streamfront`, image, 'init']);
  assert.equal(init.code, 0, init.out);
  const configFile = join(runDir, 'config', 'streamserver.conf');
  // Host networking in the test: only loopback, on ports free on this machine.
  writeFileSync(
    configFile,
    setConfigItems(readFileSync(configFile, 'utf8'), {
      server_ip: '127.0.0.1',
      server_port: String(tlsPort),
      admin_port: String(adminPort),
      engine_url: engine.url,
    }),
  );

  // Import inputs as root-owned files; the key group-readable by the importer's group only.
  const inputs = join(base, 'in');
  mkdirSync(inputs);
  for (const [file, source] of [
    ['ca.crt', pki.ca.cert],
    ['server.crt', pki.server.cert],
    ['server.key', pki.server.keyEncrypted],
    ['ca.crl', pki.crls.good],
  ] as const) {
    copyFileSync(source, join(inputs, file));
    chownSync(join(inputs, file), 0, UID);
    chmodSync(join(inputs, file), file === 'server.key' ? 0o440 : 0o444);
  }
  const passwordFile = join(base, 'key-password');
  writeFileSync(passwordFile, `${pki.password}\n`, { mode: 0o600 });
  chownSync(passwordFile, UID, UID);
  const imported = docker(
    [
      'run',
      '--rm',
      ...HARDENED,
      '-v',
      `${runDir}:/srv/streamfront`,
      '-v',
      `${inputs}:/in:ro`,
      '-v',
      `${passwordFile}:/run/secrets/key-password:ro`,
      image,
      'import',
      '-c',
      '/in/ca.crt',
      '-s',
      '/in/server.crt',
      '-k',
      '/in/server.key',
      '-r',
      '/in/ca.crl',
      '--password-file',
      '/run/secrets/key-password',
    ],
    120_000,
  );
  assert.equal(imported.code, 0, imported.out);
  assert.ok(!imported.out.includes(pki.password), 'the password appears in the import output');

  // What docker/k8s/deployment.yaml mounts: one Secret as keys/ holding material, keystore and
  // config, in the kubelet layout (root-owned, defaultMode 0440, group fsGroup).
  const layout = { defaultMode: 0o440, fsGroup: FS_GROUP };
  const keysVolume = new KubeletVolume(join(base, 'keys-volume'), VOLUME_FILES, layout);
  const keySources: Record<string, string> = Object.fromEntries(
    VOLUME_FILES.map((f) => [f, f === 'streamserver.conf' ? configFile : join(runDir, 'keys', f)]),
  );
  keysVolume.publish(keySources);

  const t0 = performance.now();
  const child = spawn(
    'docker',
    [
      'run',
      '--name',
      name,
      ...HARDENED,
      '--group-add',
      String(FS_GROUP),
      '-v',
      `${keysVolume.dir}:/srv/streamfront/keys:ro`,
      '--health-interval',
      '1s',
      '--health-start-period',
      '1s',
      image,
      'serve',
      '--config',
      'keys/streamserver.conf',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const servingMs = await waitFor(
    'the "streamfront serving" log line',
    () => output.includes('"msg":"streamfront serving"'),
    30_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n--- container output ---\n${output}`);
  });
  t.diagnostic(`serving ${servingMs} ms after docker run (${Math.round(performance.now() - t0)} ms)`);

  const good = await call(tlsPort, { path: '/v2/ready', tls: clientOptions(pki, 'good') });
  assert.equal(good.status, 200, `good client over mTLS: ${good.body.toString()}`);
  const revoked = await call(tlsPort, { path: '/v2/ready', tls: clientOptions(pki, 'revoked') });
  assert.equal(revoked.status, 403, 'the imported CRL revokes clients.revoked');

  const healthyMs = await waitFor(
    'docker health status healthy',
    () => docker(['inspect', '--format', '{{.State.Health.Status}}', name]).out.trim() === 'healthy',
    20_000,
  );
  t.diagnostic(`HEALTHCHECK healthy after ${healthyMs} ms more`);

  // Rotation as the kubelet delivers it: a whole new ..data folder with a CRL that also revokes goodEc.
  const before = await call(tlsPort, { path: '/v2/ready', tls: clientOptions(pki, 'goodEc') });
  assert.equal(before.status, 200);
  const newCrl = await buildCrl(pki, { revoke: [pki.clients.revoked.cert, pki.clients.goodEc.cert] });
  keysVolume.publish({ ...keySources, 'ca.crl': newCrl });
  const rotatedMs = await waitFor(
    'goodEc refused after the CRL swap',
    async () => (await call(tlsPort, { path: '/v2/ready', tls: clientOptions(pki, 'goodEc') })).status === 403,
    5_000,
  );
  t.diagnostic(`the new CRL was enforced ${rotatedMs} ms after the ..data swap`);
  assert.equal((await call(tlsPort, { path: '/v2/ready', tls: clientOptions(pki, 'good') })).status, 200);
  // The log arrives through docker's pipe, possibly after the answer that proved the swap.
  await waitFor('the material_reloaded log line', () => output.includes('"event":"material_reloaded"'), 5_000);

  const stopped = docker(['stop', '-t', '20', name]);
  assert.equal(stopped.code, 0, stopped.out);
  assert.equal(await exited, 0, `docker run exit code after docker stop\n${output.slice(-3000)}`);
  assert.ok(!output.includes(pki.password), 'the password appears in the front log');
});
