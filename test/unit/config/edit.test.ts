import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigText, setConfigItems } from '../../../src/config/index.js';
import { StreamfrontError } from '../../../src/errors/error.js';

const original = [
  '# StreamServer config',
  '',
  'server_name=Edge',
  '  ca_crt = old/ca.crt',
  '# keep me',
  'unknown_item=whatever ; with comment',
  'port=8080',
  'ca_crt=second/ca.crt',
  '',
].join('\n');

test('only the first line of an updated item changes; every other byte stays', () => {
  const out = setConfigItems(original, { ca_crt: 'keys/ca.crt' });
  assert.equal(out, original.replace('  ca_crt = old/ca.crt', '  ca_crt = keys/ca.crt'));
});

test('an unchanged update list gives the text back byte for byte', () => {
  assert.equal(setConfigItems(original, {}), original);
});

test('CRLF files keep CRLF on edited and appended lines', () => {
  const crlf = 'port=8080\r\n# c\r\nca_crt=\r\n';
  assert.equal(
    setConfigItems(crlf, { ca_crt: 'keys/ca.crt', crl: 'keys/ca.crl' }),
    'port=8080\r\n# c\r\nca_crt=keys/ca.crt\r\ncrl=keys/ca.crl\r\n',
  );
});

test('a file without a final newline keeps it missing when only edits are made', () => {
  assert.equal(setConfigItems('port=8080\nca_crt=x', { ca_crt: 'y' }), 'port=8080\nca_crt=y');
});

test('missing items are appended, after a newline added when the file lacks one', () => {
  assert.equal(setConfigItems('port=8080', { crl: 'keys/ca.crl' }), 'port=8080\ncrl=keys/ca.crl\n');
  assert.equal(
    setConfigItems('port=8080\n', { crl: 'keys/ca.crl', server_key_mm: 'c' }),
    'port=8080\ncrl=keys/ca.crl\nserver_key_mm=c\n',
  );
  assert.equal(setConfigItems('', { crl: 'a' }), 'crl=a\n');
});

test('commented-out items are not edited; the real item is appended', () => {
  assert.equal(setConfigItems('#crl=old\n', { crl: 'new' }), '#crl=old\ncrl=new\n');
});

test('an emptied value keeps the key and the =', () => {
  assert.equal(setConfigItems('crl=keys/ca.crl\n', { crl: '' }), 'crl=\n');
});

test('written values read back unchanged, including = padding of a ciphertext', () => {
  const mm = 'SF1.v1.k1.AbC+/xyz==';
  const out = setConfigItems(original, { server_key_mm: mm, ca_crt: 'keys/ca.crt' });
  const parsed = parseConfigText(out, 'x');
  assert.equal(parsed.items.get('server_key_mm')?.value, mm);
  assert.equal(parsed.items.get('ca_crt')?.value, 'keys/ca.crt');
  assert.equal(parsed.items.get('unknown_item')?.value, 'whatever');
});

test('values with line breaks are refused without echoing them', () => {
  for (const value of ['a\nport=1', 'a\rb']) {
    assert.throws(
      () => setConfigItems('', { server_key_mm: value }),
      (err: unknown) => {
        assert.ok(err instanceof StreamfrontError);
        assert.equal(err.code, 'CONFIG_BAD_UPDATE');
        assert.equal(err.item, 'server_key_mm');
        assert.ok(!err.message.includes(value));
        return true;
      },
    );
  }
});

test('values that would not read back the same, and bad item names, are refused', () => {
  assert.throws(() => setConfigItems('', { crl: 'a;b' }), { code: 'CONFIG_BAD_UPDATE' });
  assert.throws(() => setConfigItems('', { crl: ' a' }), { code: 'CONFIG_BAD_UPDATE' });
  assert.throws(() => setConfigItems('', { 'bad name': 'x' }), { code: 'CONFIG_BAD_UPDATE' });
  assert.throws(() => setConfigItems('', { 'a=b': 'x' }), { code: 'CONFIG_BAD_UPDATE' });
});
