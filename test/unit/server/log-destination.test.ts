// front_log_dir: the front's lines go to <dir>/streamfront.<n>.log, rotated at front_log_max_mb
// and keeping front_log_files older files, written by a worker thread.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pino from 'pino';
import { buildLogDestination } from '../../../src/server/log-destination.js';

describe('front log files', () => {
  const runDir = mkdtempSync(join(tmpdir(), 'sf-logs-'));
  after(() => rmSync(runDir, { recursive: true, force: true }));

  it('rotates by size and keeps the configured number of older files', async () => {
    const destination = buildLogDestination({ dir: 'logs', maxMb: 1, files: 2 }, runDir);
    const logger = pino({ base: null }, destination);
    const filler = 'x'.repeat(1000);
    // About 4.5 MB in bursts of 100 KB, as a serving front writes: four rotations at 1 MB.
    // (pino-roll looks at the size after each write it makes, so one huge burst would land whole.)
    for (let i = 0; i < 4500; i++) {
      logger.info({ i, filler }, 'line');
      if (i % 100 === 99) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // The transport's worker is unref'd: a timer keeps this process up until it has written all.
    const keepAlive = setInterval(() => {}, 50);
    await new Promise<void>((resolve) => {
      (destination as unknown as NodeJS.EventEmitter).once('close', () => resolve());
      (destination as unknown as { end(): void }).end();
    });
    clearInterval(keepAlive);
    const dir = join(runDir, 'logs');
    const logs = readdirSync(dir).filter((n) => /^streamfront\.\d+\.log$/.test(n)).sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]));
    assert.equal(logs.length, 3, `kept ${logs.join(', ')}`);
    for (const name of logs) assert.ok(statSync(join(dir, name)).size < 1.2 * 1024 * 1024, `${name} near 1 MB at most`);
    const last = readFileSync(join(dir, logs.at(-1) as string), 'utf8').trim().split('\n').at(-1) as string;
    assert.equal((JSON.parse(last) as { i: number }).i, 4499, 'the last line is in the newest file');
  });
});
