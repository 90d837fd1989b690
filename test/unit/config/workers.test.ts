import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { parseConfigText, readFrontConfig } from '../../../src/config/index.js';
import { MAX_WORKERS, parseWorkers } from '../../../src/config/items.js';
import { StreamfrontError } from '../../../src/errors/error.js';

const read = (text: string) => readFrontConfig(parseConfigText(text, 'sf.conf'));

test('workers defaults to 1: the front serves in its own process', () => {
  assert.equal(read('').workers, 1);
  assert.equal(read('workers=\n').workers, 1);
});

test('workers takes a count from 1 to 64', () => {
  assert.equal(read('workers=2\n').workers, 2);
  assert.equal(read(`workers=${MAX_WORKERS}\n`).workers, MAX_WORKERS);
});

test('workers=auto is the cores this process may use', () => {
  assert.equal(read('workers=auto\n').workers, Math.min(MAX_WORKERS, availableParallelism()));
  assert.equal(
    parseWorkers('auto', () => 2),
    2,
  );
  assert.equal(
    parseWorkers('auto', () => 256),
    MAX_WORKERS,
    'never past the maximum',
  );
  assert.equal(
    parseWorkers('auto', () => 0),
    1,
    'never below one',
  );
});

for (const [raw, reason] of [
  ['0', /0 is out of range; expected 1 to 64/],
  ['65', /65 is out of range; expected 1 to 64/],
  ['two', /'two' is neither auto nor a whole number from 1 to 64/],
  ['-1', /'-1' is neither auto nor a whole number/],
  ['AUTO', /'AUTO' is neither auto/],
] as const) {
  test(`workers=${raw} is refused with the file, the line and the fix`, () => {
    assert.throws(
      () => read(`workers=${raw}\n`),
      (err: unknown) => {
        assert.ok(err instanceof StreamfrontError);
        assert.equal(err.code, 'CONFIG_BAD_VALUE');
        assert.equal(err.file, 'sf.conf');
        assert.equal(err.item, 'workers');
        assert.match(err.message, /item workers \(line 1\)/);
        assert.match(err.message, reason);
        assert.match(err.hint ?? '', /correct workers in sf\.conf/);
        return true;
      },
    );
  });
}
