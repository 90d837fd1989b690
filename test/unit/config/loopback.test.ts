import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigText, readFrontConfig } from '../../../src/config/index.js';
import { isLoopbackAddress } from '../../../src/config/loopback.js';
import { isLoopbackAddress as adminIsLoopback } from '../../../src/server/admin.js';

const LOOPBACK = [
  '127.0.0.1',
  '127.9.9.9',
  '::1',
  '0:0:0:0:0:0:0:1',
  '0000:0000:0000:0000:0000:0000:0000:0001',
  '::ffff:127.0.0.1',
  '::FFFF:127.0.0.1',
];
const NOT_LOOPBACK = ['10.0.0.1', '0.0.0.0', '::', '::ffff:10.0.0.1', '::2', '128.0.0.1', 'localhost', ''];

test('loopback: 127.0.0.0/8, ::1 in any spelling and IPv4-mapped 127.x', () => {
  for (const address of LOOPBACK) assert.equal(isLoopbackAddress(address), true, address);
  for (const address of NOT_LOOPBACK) assert.equal(isLoopbackAddress(address), false, address);
});

test('the admin listener and the admin_ip check use the same rule', () => {
  assert.equal(adminIsLoopback, isLoopbackAddress);
  for (const address of LOOPBACK) {
    assert.equal(readFrontConfig(parseConfigText(`admin_ip=${address}\n`, 'sf.conf')).adminIp, address);
  }
  assert.throws(
    () => readFrontConfig(parseConfigText('admin_ip=::ffff:10.0.0.1\n', 'sf.conf')),
    /not a loopback address/,
  );
});
