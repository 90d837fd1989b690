// The simulator in-process: the engine's paths, JSON shapes and error codes, the recorded
// body hashes, and the failure modes the front's tests depend on.
import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startEngineSimulator, type EngineSimulator } from '../../../src/engine-sim/server.js';

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

function inferBody(data: Buffer, overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    inputs: [
      {
        name: 'in0',
        id: 1,
        dataType: 'BINARY',
        format: 'FORMAT_NONE',
        shape: [data.length],
        data: data.toString('base64'),
        ...overrides,
      },
    ],
  });
}

/** Until `held` requests are recorded: the simulator has read them and now applies its mode. */
async function untilRecorded(requests: () => unknown[], held: number): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (requests().length < held) {
    if (performance.now() > deadline) throw new Error(`the simulator never recorded ${held} request(s)`);
    await new Promise((r) => setImmediate(r));
  }
}

async function post(
  url: string,
  body: string | Buffer,
  contentType = 'application/json',
): Promise<{ status: number; json: any }> {
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': contentType } });
  return { status: res.status, json: await res.json() };
}

describe('engine simulator API', () => {
  let sim: EngineSimulator;
  before(async () => {
    sim = await startEngineSimulator({ port: 0, models: ['m', 'yolo'], streams: ['s'], maxContentLengthKb: 8192 });
  });
  after(() => sim.close());

  it('answers the status routes with the engine shapes', async () => {
    assert.deepEqual(await (await fetch(`${sim.url}/v2/ready`)).json(), { isReady: true });
    assert.deepEqual(await (await fetch(`${sim.url}/v2/live`)).json(), { isLive: true });
    assert.deepEqual(await (await fetch(`${sim.url}/v2`)).json(), { serverName: 'StreamServer' });
    assert.deepEqual(await (await fetch(`${sim.url}/v2/`)).json(), { serverName: 'StreamServer' });
    assert.deepEqual(await (await fetch(`${sim.url}/v2/models/yolo/ready`)).json(), { isReady: true });
    const cfg: any = await (await fetch(`${sim.url}/v2/streams/s/config`)).json();
    assert.equal(cfg.inferType, 'streams');
    assert.equal(cfg.name, 's');
  });

  it('echoes the SHA-256 and length of the decoded input of a model inference', async () => {
    const data = randomBytes(1000);
    const { status, json } = await post(`${sim.url}/v2/models/m/infer`, inferBody(data));
    assert.equal(status, 200);
    assert.equal(json.isSuccess, true);
    assert.equal(json.errorCode, 0);
    assert.equal(Buffer.from(json.outputs[0].data, 'base64').toString('utf8'), sha256(data));
    assert.deepEqual(json.outputs[0].shape, [1000]);
  });

  it('records the SHA-256 of the exact raw body bytes of a multi-megabyte request', async () => {
    sim.clearRequests();
    const body = inferBody(randomBytes(3 * 1024 * 1024));
    const { status } = await post(`${sim.url}/v2/streams/s/infer?x=1`, body);
    assert.equal(status, 200);
    const recorded = ((await (await fetch(`${sim.url}/__sim/requests`)).json()) as any).requests;
    assert.equal(recorded.length, 1);
    assert.equal(recorded[0].bodySha256, sha256(body));
    assert.equal(recorded[0].bytes, Buffer.byteLength(body));
    assert.equal(recorded[0].path, '/v2/streams/s/infer');
    assert.equal(recorded[0].method, 'POST');
    assert.equal(recorded[0].headers['content-type'], 'application/json');
  });

  it('refuses an unknown target with TARGET_NOT_EXISTS (3)', async () => {
    const { status, json } = await post(`${sim.url}/v2/models/nope/infer`, inferBody(Buffer.from('x')));
    assert.equal(status, 400);
    assert.deepEqual({ isSuccess: json.isSuccess, errorCode: json.errorCode }, { isSuccess: false, errorCode: 3 });
    assert.equal((await fetch(`${sim.url}/v2/streams/nope/ready`)).status, 400);
  });

  it('refuses a Content-Type other than exactly application/json', async () => {
    const { status, json } = await post(
      `${sim.url}/v2/models/m/infer`,
      inferBody(Buffer.from('x')),
      'application/json; charset=utf-8',
    );
    assert.equal(status, 400);
    assert.equal(json.errorCode, 9);
  });

  it('refuses a body missing one of the six input fields with INVALID_BODY (4)', async () => {
    for (const field of ['name', 'id', 'dataType', 'format', 'shape', 'data']) {
      const body = JSON.parse(inferBody(Buffer.from('abc')));
      delete body.inputs[0][field];
      const { status, json } = await post(`${sim.url}/v2/models/m/infer`, JSON.stringify(body));
      assert.equal(status, 400, field);
      assert.equal(json.errorCode, 4, field);
      assert.match(json.errorMsg, new RegExp(field));
    }
    assert.equal((await post(`${sim.url}/v2/models/m/infer`, '{not json')).json.errorCode, 4);
  });

  it('answers 413 LARGE_CONTENT over max_content_length and still records the hash', async () => {
    sim.clearRequests();
    const body = inferBody(randomBytes(9 * 1024 * 1024));
    const { status, json } = await post(`${sim.url}/v2/models/m/infer`, body);
    assert.equal(status, 413);
    assert.equal(json.errorCode, 10);
    assert.equal(sim.requests()[0]?.bodySha256, sha256(body));
  });

  it('refuses bad URIs with INVALID_URI (2) and wrong methods with UNSUPPORTED_METHOD (12)', async () => {
    assert.equal(((await (await fetch(`${sim.url}/v2/models/m%20x/ready`)).json()) as any).errorCode, 2);
    assert.equal(((await (await fetch(`${sim.url}/v2/${'a'.repeat(260)}`)).json()) as any).errorCode, 2);
    assert.equal(((await (await fetch(`${sim.url}/other`)).json()) as any).errorCode, 2);
    const get = await fetch(`${sim.url}/v2/models/m/infer`);
    assert.equal(get.status, 400);
    assert.equal(((await get.json()) as any).errorCode, 12);
  });
});

describe('engine simulator modes', () => {
  let sim: EngineSimulator;
  before(async () => {
    sim = await startEngineSimulator({ port: 0 });
  });
  after(() => sim.close());

  const setMode = async (body: object): Promise<Response> =>
    fetch(`${sim.url}/__sim/mode`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });

  it('fail answers with the chosen status and INTERNAL_ERROR JSON', async () => {
    assert.equal((await setMode({ mode: 'fail', status: 503 })).status, 200);
    const res = await fetch(`${sim.url}/v2/ready`);
    assert.equal(res.status, 503);
    assert.equal(((await res.json()) as any).errorCode, 11);
    await setMode({ mode: 'normal' });
    assert.equal((await fetch(`${sim.url}/v2/ready`)).status, 200);
  });

  it('reset destroys the socket without an answer', async () => {
    await setMode({ mode: 'reset' });
    await assert.rejects(fetch(`${sim.url}/v2/ready`), TypeError);
    await setMode({ mode: 'normal' });
  });

  it('hang never answers until the mode changes, then answers', async () => {
    await setMode({ mode: 'hang' });
    sim.clearRequests();
    let isAnswered = false;
    const pending = fetch(`${sim.url}/v2/ready`).then((res) => {
      isAnswered = true;
      return res;
    });
    // Synchronised on the simulator holding the request, not on a sleep that proves nothing.
    await untilRecorded(() => sim.requests(), 1);
    assert.equal(isAnswered, false, 'held while the mode is hang');
    await setMode({ mode: 'normal' });
    assert.deepEqual(await (await pending).json(), { isReady: true });
  });

  it('slow waits delayMs before answering', async () => {
    await setMode({ mode: 'slow', delayMs: 400 });
    const t0 = Date.now();
    assert.equal((await fetch(`${sim.url}/v2/ready`)).status, 200);
    assert.ok(Date.now() - t0 >= 380, `answered after ${Date.now() - t0} ms`);
    assert.deepEqual(await (await fetch(`${sim.url}/__sim/mode`)).json(), { mode: 'slow', delayMs: 400, status: 500 });
    await setMode({ mode: 'normal' });
  });

  it('refuses an unknown mode', async () => {
    const res = await setMode({ mode: 'explode' });
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as any).error, /normal, fail, reset, hang, slow/);
  });

  it('adds --latency-ms before every engine answer', async () => {
    const slow = await startEngineSimulator({ port: 0, latencyMs: 300 });
    try {
      const t0 = Date.now();
      await fetch(`${slow.url}/v2/live`);
      assert.ok(Date.now() - t0 >= 280);
    } finally {
      await slow.close();
    }
  });

  it('close() ends a hung request instead of waiting for it', async () => {
    const s = await startEngineSimulator({ port: 0 });
    s.setMode({ mode: 'hang' });
    const pending = fetch(`${s.url}/v2/ready`).catch((e: unknown) => e);
    await untilRecorded(() => s.requests(), 1);
    await s.close();
    assert.ok((await pending) instanceof Error);
  });
});
