// InferConfigRepository loading: targets found below the folder are served; a bad shape or a
// duplicate target is refused naming the file.
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadInferConfigRepository } from '../../../src/engine-sim/repository.js';
import { startEngineSimulator } from '../../../src/engine-sim/server.js';
import { StreamfrontError } from '../../../src/errors/error.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function repo(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sim-repo-'));
  dirs.push(dir);
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), typeof body === 'string' ? body : JSON.stringify(body));
  }
  return dir;
}

describe('InferConfigRepository', () => {
  it('serves the targets found in nested *.json files', async () => {
    const dir = repo({
      'a/yolo.json': { yolo: { inferType: 'models', name: 'yolo', path: 'yolo.om', timeoutMs: 5000 } },
      'b/c/cam.json': { cam: { inferType: 'streams', name: 'cam1', path: 'cam.pipeline' } },
      'notes.txt': 'ignored',
    });
    const targets = await loadInferConfigRepository(dir);
    assert.deepEqual(targets.map((t) => `${t.inferType}/${t.name}/${t.timeoutMs}`).sort(), [
      'models/yolo/5000',
      'streams/cam1/3000',
    ]);
    const sim = await startEngineSimulator({ port: 0, models: [], streams: [], targets });
    try {
      assert.equal((await fetch(`${sim.url}/v2/streams/cam1/ready`)).status, 200);
      assert.equal((await fetch(`${sim.url}/v2/models/m/ready`)).status, 400);
    } finally {
      await sim.close();
    }
  });

  it('refuses a duplicate inferType+name, naming the file', async () => {
    const dir = repo({
      '1.json': { x: { inferType: 'models', name: 'yolo' } },
      '2.json': { y: { inferType: 'models', name: 'yolo' } },
    });
    await assert.rejects(loadInferConfigRepository(dir), (err: unknown) => {
      assert.ok(err instanceof StreamfrontError);
      assert.equal(err.code, 'ENGINE_SIM_REPO_INVALID');
      assert.match(err.file ?? '', /2\.json$/);
      assert.match(err.message, /repeats models\/yolo/);
      return true;
    });
  });

  it('refuses a file without the single wrapping key or with a bad inferType', async () => {
    await assert.rejects(
      loadInferConfigRepository(repo({ 'a.json': { a: { inferType: 'model', name: 'm' } } })),
      /inferType must be/,
    );
    await assert.rejects(loadInferConfigRepository(repo({ 'a.json': { a: {}, b: {} } })), /single top-level key/);
    await assert.rejects(loadInferConfigRepository(repo({ 'a.json': '{oops' })), /not valid JSON/);
  });
});
