import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigText } from '../../../src/config/index.js';

test('values come from key=value lines with their line numbers; comments and blanks are skipped', () => {
  const parsed = parseConfigText('# comment\n\nport=8080\n  server_name = Edge One  \n;old style\n', 'a.conf');
  assert.equal(parsed.file, 'a.conf');
  assert.deepEqual(parsed.items.get('port'), { value: '8080', lines: [3], values: ['8080'] });
  assert.equal(parsed.items.get('server_name')?.value, 'Edge One');
  assert.deepEqual(parsed.items.get('server_name')?.lines, [4]);
  assert.equal(parsed.items.size, 2);
});

test('duplicates are kept with every line and value, the first value first', () => {
  const parsed = parseConfigText('port=1\nx=2\nport=3\n', 'a.conf');
  assert.deepEqual(parsed.items.get('port'), { value: '1', lines: [1, 3], values: ['1', '3'] });
});

test('values stay raw strings (ini would turn true/false into booleans)', () => {
  const parsed = parseConfigText('a=true\nb=false\nc=\n', 'a.conf');
  assert.equal(parsed.items.get('a')?.value, 'true');
  assert.equal(parsed.items.get('b')?.value, 'false');
  assert.equal(parsed.items.get('c')?.value, '');
});

test('CRLF line endings do not leak into values', () => {
  const parsed = parseConfigText('port=8080\r\nserver_name=S\r\n', 'a.conf');
  assert.equal(parsed.items.get('port')?.value, '8080');
  assert.equal(parsed.items.get('server_name')?.value, 'S');
});

test('a [section] line does not hide the items after it', () => {
  const parsed = parseConfigText('[x]\nport=9000\n', 'a.conf');
  assert.equal(parsed.items.get('port')?.value, '9000');
});

test('a long line or a long file is a warning when reading, naming the file and line', () => {
  const long = `cipher_list=${'A'.repeat(1000)}\n`;
  const parsed = parseConfigText(`port=1\n${long}`, 'big.conf');
  assert.equal(parsed.warnings?.length, 1);
  assert.match(parsed.warnings?.[0] ?? '', /^big\.conf: line 2 has 1012 characters/);
  const many = parseConfigText('# c\n'.repeat(100), 'many.conf');
  assert.match(many.warnings?.[0] ?? '', /many\.conf: has 100 lines; .* at most 99/);
  assert.deepEqual(parseConfigText('# c\n'.repeat(99), 'ok.conf').warnings, []);
});
