// The front's start-up refusals when its ports are taken, as ./run.sh shows them: exit 1 and one
// `run: error:` line naming the config item to change. A listener of the test holds the port.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { buildPki, type Pki } from '../../fixtures/pki.js';
import { cleanEnv, errorLines, importPkiInto, makeRunFolder, type RunFolder } from '../errors/run-folder.js';

/**
 * Starts ./run.sh and waits for it to end; if it is still running `graceMs` after printing its
 * refusal, it is killed and reported as not having exited by itself.
 */
function runUntilRefused(
  f: RunFolder,
  graceMs: number,
): Promise<{ stderr: string; status: number | null; exitedByItself: boolean }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['./run.sh'], { cwd: f.dir, env: cleanEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let killedByUs = false;
    let timer: NodeJS.Timeout | undefined;
    const kill = (): void => {
      killedByUs = true;
      child.kill('SIGKILL');
    };
    const hardStop = setTimeout(kill, 60_000);
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      if (timer === undefined && errorLines(stderr, 'run').length > 0) timer = setTimeout(kill, graceMs);
    });
    child.on('close', (status) => {
      clearTimeout(hardStop);
      if (timer !== undefined) clearTimeout(timer);
      resolve({ stderr, status, exitedByItself: !killedByUs });
    });
  });
}

function holdPort(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address !== null ? address.port : 0 });
    });
  });
}

describe('run.sh when a port is taken', () => {
  let pki: Pki;
  let f: RunFolder;
  let held: { server: Server; port: number };
  before(async () => {
    pki = await buildPki();
    held = await holdPort();
    f = makeRunFolder('sf-listen-');
    importPkiInto(f, pki);
  });
  after(() => {
    held.server.close();
    f.remove();
  });

  it('refuses to start when server_port is taken: FRONT_LISTEN naming server_port', () => {
    f.setConfigItems({ server_ip: '127.0.0.1', server_port: String(held.port), admin_port: '0' });
    const res = f.run('run.sh', []);
    assert.equal(res.status, 1, `exit ${String(res.status)} signal ${String(res.signal)}\n${res.stderr}`);
    assert.deepEqual(errorLines(res.stderr, 'run'), [
      `run: error: item server_port: cannot listen on 127.0.0.1:${held.port} (EADDRINUSE); fix: choose a free server_ip/server_port in streamserver.conf or stop the process holding it [FRONT_LISTEN]`,
    ]);
  });

  it('refuses to start when admin_port is taken: ADMIN_LISTEN_FAILED naming admin_port, then exits 1 by itself', async () => {
    f.setConfigItems({
      server_ip: '127.0.0.1',
      server_port: '0',
      admin_ip: '127.0.0.1',
      admin_port: String(held.port),
    });
    const res = await runUntilRefused(f, 5_000);
    assert.deepEqual(errorLines(res.stderr, 'run'), [
      `run: error: item admin_port: admin listener cannot listen on 127.0.0.1:${held.port} (EADDRINUSE); fix: choose a free admin_port in streamserver.conf [ADMIN_LISTEN_FAILED]`,
    ]);
    // The TLS listener is already up when the admin listener fails: it must not keep run.sh alive.
    assert.ok(res.exitedByItself, `run.sh was still running 5 s after its refusal:\n${res.stderr}`);
    assert.equal(res.status, 1, res.stderr);
  });

  it('workers=2: a worker that cannot listen stops the start with the same FRONT_LISTEN line, exit 1 by itself', async () => {
    f.setConfigItems({ server_ip: '127.0.0.1', server_port: String(held.port), admin_port: '0', workers: '2' });
    const res = await runUntilRefused(f, 5_000);
    assert.deepEqual(errorLines(res.stderr, 'run'), [
      `run: error: item server_port: cannot listen on 127.0.0.1:${held.port} (EADDRINUSE); fix: choose a free server_ip/server_port in streamserver.conf or stop the process holding it [FRONT_LISTEN]`,
    ]);
    assert.ok(res.exitedByItself, `run.sh was still running 5 s after its refusal:\n${res.stderr}`);
    assert.equal(res.status, 1, res.stderr);
  });

  it('workers=2: admin_port taken after the workers listen: ADMIN_LISTEN_FAILED, the workers stop, exit 1 by itself', async () => {
    f.setConfigItems({
      server_ip: '127.0.0.1',
      server_port: '0',
      admin_ip: '127.0.0.1',
      admin_port: String(held.port),
      workers: '2',
    });
    const res = await runUntilRefused(f, 5_000);
    assert.deepEqual(errorLines(res.stderr, 'run'), [
      `run: error: item admin_port: admin listener cannot listen on 127.0.0.1:${held.port} (EADDRINUSE); fix: choose a free admin_port in streamserver.conf [ADMIN_LISTEN_FAILED]`,
    ]);
    assert.ok(res.exitedByItself, `run.sh was still running 5 s after its refusal:\n${res.stderr}`);
    assert.equal(res.status, 1, res.stderr);
  });
});
