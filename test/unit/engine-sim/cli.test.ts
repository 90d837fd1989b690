// The engine-sim command as a real process: the one "listening" line, the API behind it,
// clean exit on SIGTERM, usage errors with exit code 2.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, it } from 'node:test';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '../../../src/cli/engine-sim.js');
const children: ChildProcess[] = [];

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

async function startCli(args: string[]): Promise<{ child: ChildProcess; line: any }> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const rl = createInterface({ input: child.stdout! });
  const [first] = (await once(rl, 'line')) as [string];
  return { child, line: JSON.parse(first) };
}

describe('engine-sim command', () => {
  it('prints one listening line, serves the API and exits 0 on SIGTERM', async () => {
    const { child, line } = await startCli(['--port', '0', '--model', 'yolo', '--stream', 'cam1']);
    assert.equal(line.event, 'listening');
    assert.ok(Number.isInteger(line.port) && line.port > 0);
    const base = `http://127.0.0.1:${line.port}`;
    assert.deepEqual(await (await fetch(`${base}/v2/ready`)).json(), { isReady: true });
    assert.equal((await fetch(`${base}/v2/models/yolo/ready`)).status, 200);
    assert.equal(
      ((await (await fetch(`${base}/v2/models/m/ready`)).json()) as any).errorCode,
      3,
      'defaults replaced by --model',
    );
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
  });

  it('exits 0 on SIGINT even with a hung request open', async () => {
    const { child, line } = await startCli(['--port', '0']);
    const base = `http://127.0.0.1:${line.port}`;
    await fetch(`${base}/__sim/mode`, { method: 'POST', body: '{"mode":"hang"}' });
    const pending = fetch(`${base}/v2/ready`).catch((e: unknown) => e);
    // The request is held once the simulator has recorded it (no sleep to hope it arrived).
    for (const deadline = performance.now() + 10_000; ; ) {
      const { requests } = (await (await fetch(`${base}/__sim/requests`)).json()) as { requests: unknown[] };
      if (requests.length > 0) break;
      if (performance.now() > deadline) throw new Error('the hung request never reached the simulator');
      await new Promise((r) => setImmediate(r));
    }
    child.kill('SIGINT');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
    assert.ok((await pending) instanceof Error);
  });

  it('refuses an unknown option or a bad value with exit code 2 and names it', () => {
    const bad = spawnSync(process.execPath, [CLI, '--bogus'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown option '--bogus'/);
    const port = spawnSync(process.execPath, [CLI, '--port', '70000'], { encoding: 'utf8' });
    assert.equal(port.status, 2);
    assert.match(port.stderr, /invalid value '70000' for flag '--port'/);
  });

  it('prints usage with exit codes on --help', () => {
    const help = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0);
    assert.match(help.stdout, /Usage: engine-sim/);
    assert.match(help.stdout, /Exit codes/);
  });
});
