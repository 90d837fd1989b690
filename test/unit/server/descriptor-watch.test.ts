import assert from 'node:assert/strict';
import { afterEach, describe, it, mock } from 'node:test';
import { DescriptorWatch, openFileLimit } from '../../../src/server/descriptor-watch.js';

function recorder() {
  const lines: Array<{ level: 'warn' | 'info'; fields: Record<string, unknown>; msg: string }> = [];
  return {
    lines,
    logger: {
      warn: (fields: Record<string, unknown>, msg: string) => lines.push({ level: 'warn', fields, msg }),
      info: (fields: Record<string, unknown>, msg: string) => lines.push({ level: 'info', fields, msg }),
    },
  };
}

const errnoError = (code: string): NodeJS.ErrnoException => Object.assign(new Error(code), { code });

describe('descriptor watch', () => {
  afterEach(() => mock.timers.reset());

  it('says EMFILE once, repeats it at most every 30 s while it lasts, and says when descriptors are back', () => {
    mock.timers.enable({ apis: ['setInterval', 'Date'], now: 0 });
    const { lines, logger } = recorder();
    let failing: string | undefined;
    const watch = new DescriptorWatch({
      logger,
      limit: 64,
      probe: () => {
        if (failing !== undefined) throw errnoError(failing);
      },
    });
    mock.timers.tick(5_000);
    assert.equal(lines.length, 0, 'nothing to say while descriptors are available');

    failing = 'EMFILE';
    mock.timers.tick(1_000);
    assert.equal(watch.isExhausted, true);
    assert.equal(lines.length, 1);
    assert.equal(lines[0]?.level, 'warn');
    assert.equal(lines[0]?.fields.event, 'descriptors_exhausted');
    assert.match(lines[0]?.msg ?? '', /out of file descriptors \(EMFILE, limit 64\)/);
    assert.match(String(lines[0]?.fields.hint), /ulimit -n/);

    mock.timers.tick(29_000); // 29 more failed probes: no new line
    assert.equal(lines.length, 1);
    mock.timers.tick(1_000);
    assert.equal(lines.length, 2, 'repeated after 30 s');
    assert.equal(lines[1]?.fields.exhaustedMs, 30_000);

    failing = undefined;
    mock.timers.tick(1_000);
    assert.equal(watch.isExhausted, false);
    assert.equal(lines.length, 3);
    assert.deepEqual(
      { level: lines[2]?.level, event: lines[2]?.fields.event, exhaustedMs: lines[2]?.fields.exhaustedMs },
      { level: 'info', event: 'descriptors_recovered', exhaustedMs: 31_000 },
    );
    watch.stop();
  });

  it('ENFILE (the whole system) is reported too; other probe errors are not a descriptor shortage', () => {
    mock.timers.enable({ apis: ['setInterval', 'Date'], now: 0 });
    const { lines, logger } = recorder();
    let code = 'EACCES';
    const watch = new DescriptorWatch({
      logger,
      limit: undefined,
      probe: () => {
        throw errnoError(code);
      },
    });
    watch.check();
    assert.equal(lines.length, 0);
    code = 'ENFILE';
    watch.check();
    assert.match(lines[0]?.msg ?? '', /out of file descriptors \(ENFILE\): /);
    watch.stop();
  });

  it('the real probe passes in this process, and the limit is read from /proc/self/limits', () => {
    const { lines, logger } = recorder();
    const watch = new DescriptorWatch({ logger });
    watch.check();
    watch.stop();
    assert.equal(lines.length, 0);
    assert.equal(
      openFileLimit(
        'Limit  Soft Limit  Hard Limit  Units\nMax open files            64                   1024                 files\n',
      ),
      64,
    );
    assert.equal(openFileLimit('no such line'), undefined);
    const own = openFileLimit();
    assert.ok(own === undefined || own > 0);
  });
});
