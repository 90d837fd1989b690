// front_log_dir: the front's lines go to <dir>/streamfront.<n>.log, rotated at front_log_max_mb
// and keeping front_log_files older files, written by a worker thread.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pino from 'pino';
import { buildLogDestination } from '../../../src/server/log-destination.js';
import { linePieces, pruneRotated } from '../../../src/server/log-roll-transport.js';

async function endDestination(destination: unknown): Promise<void> {
  // The transport's worker is unref'd: a timer keeps this process up until it has written all.
  const keepAlive = setInterval(() => {}, 50);
  await new Promise<void>((resolve) => {
    (destination as NodeJS.EventEmitter).once('close', () => resolve());
    (destination as { end(): void }).end();
  });
  clearInterval(keepAlive);
}

/** Resolves once the transport's worker has read everything written so far. */
function flushed(destination: unknown): Promise<void> {
  return new Promise<void>((resolve, reject) =>
    (destination as { flush(cb: (err?: Error) => void): void }).flush((err) => (err ? reject(err) : resolve())),
  );
}

const byNumber = (names: string[]): string[] =>
  names
    .filter((n) => /^streamfront\.\d+\.log$/.test(n))
    .sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]));

describe('front log files', () => {
  const runDir = mkdtempSync(join(tmpdir(), 'sf-logs-'));
  after(() => rmSync(runDir, { recursive: true, force: true }));

  it('rotates by size and keeps the configured number of older files', async () => {
    const destination = buildLogDestination({ dir: 'logs', maxMb: 1, files: 2 }, runDir);
    const logger = pino({ base: null }, destination);
    const filler = 'x'.repeat(1000);
    // About 4.5 MB in bursts of 100 KB, as a serving front writes: four rotations at 1 MB.
    // (The size is looked at after each write, so one huge burst would land whole.)
    // Each burst is handed to the transport (flush: its worker has read it) before the next.
    const keepAlive = setInterval(() => {}, 50); // the transport's worker is unref'd
    for (let i = 0; i < 4500; i++) {
      logger.info({ i, filler }, 'line');
      if (i % 100 === 99) await flushed(destination);
    }
    clearInterval(keepAlive);
    await endDestination(destination);
    const dir = join(runDir, 'logs');
    const logs = byNumber(readdirSync(dir));
    assert.equal(logs.length, 3, `kept ${logs.join(', ')}`);
    for (const name of logs)
      assert.ok(
        statSync(join(dir, name)).size < 1024 * 1024 + 64 * 1024,
        `${name} at most one piece past 1 MB: ${logs.map((n) => `${n} ${statSync(join(dir, n)).size}`).join(', ')}`,
      );
    const last = readFileSync(join(dir, logs.at(-1) as string), 'utf8')
      .trim()
      .split('\n')
      .at(-1) as string;
    assert.equal((JSON.parse(last) as { i: number }).i, 4499, 'the last line is in the newest file');
  });

  it('counts the files of an earlier run, continues the newest, and leaves other files alone', async () => {
    const dir = join(runDir, 'restart');
    mkdirSync(dir);
    for (let n = 1; n <= 6; n++) writeFileSync(join(dir, `streamfront.${n}.log`), `{"run":1,"n":${n}}\n`);
    writeFileSync(join(dir, 'streamfront.log.bak'), 'kept');
    writeFileSync(join(dir, 'notes.txt'), 'kept');
    const destination = buildLogDestination({ dir, maxMb: 1, files: 1 }, runDir);
    pino({ base: null }, destination).info('after restart');
    await endDestination(destination);
    assert.deepEqual(readdirSync(dir).sort(), [
      'notes.txt',
      'streamfront.5.log',
      'streamfront.6.log',
      'streamfront.log.bak',
    ]);
    assert.match(readFileSync(join(dir, 'streamfront.6.log'), 'utf8'), /after restart/);
  });

  it('pruneRotated keeps exactly the newest rotated files besides the active one, by number not by name', async () => {
    const dir = join(runDir, 'prune');
    mkdirSync(dir);
    for (const n of [1, 2, 9, 10, 11]) writeFileSync(join(dir, `streamfront.${n}.log`), '');
    writeFileSync(join(dir, 'other.1.log'), 'not ours');
    const removed = await pruneRotated(join(dir, 'streamfront.11.log'), 2);
    assert.deepEqual(removed.map((p) => p.slice(dir.length + 1)).sort(), ['streamfront.1.log', 'streamfront.2.log']);
    assert.deepEqual(byNumber(readdirSync(dir)), ['streamfront.9.log', 'streamfront.10.log', 'streamfront.11.log']);
    assert.ok(readdirSync(dir).includes('other.1.log'), 'a file of another stem is left alone');
    assert.deepEqual(await pruneRotated(join(dir, 'streamfront.11.log'), 2), [], 'nothing more to remove');
  });

  it('linePieces cuts after newlines near the piece size, keeps a longer line whole, and loses nothing', () => {
    const lines = ['a'.repeat(5), 'b'.repeat(3), 'c'.repeat(20), 'd'.repeat(2), 'e']
      .map((l) => `${l}\n`)
      .join('')
      .concat('tail');
    const pieces = [...linePieces(lines, 8)];
    assert.equal(pieces.join(''), lines);
    assert.deepEqual(pieces, ['aaaaa\n', 'bbb\n', `${'c'.repeat(20)}\n`, 'dd\ne\n', 'tail']);
    assert.deepEqual([...linePieces('short\n', 8)], ['short\n']);
    assert.deepEqual([...linePieces('x'.repeat(20), 8)], ['x'.repeat(20)], 'no newline: one piece');
  });
});
