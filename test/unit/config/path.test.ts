import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { resolveConfigPath } from '../../../src/config/index.js';

const runDir = '/srv/run';

test('an explicit --config wins over MX_SDK_HOME and the default', () => {
  assert.equal(
    resolveConfigPath({ explicit: '/etc/sf.conf', env: { MX_SDK_HOME: '/opt/sdk' }, runDir }),
    '/etc/sf.conf',
  );
});

test('a relative --config resolves against the run folder, not the process cwd', () => {
  assert.equal(resolveConfigPath({ explicit: 'conf/x.conf', env: {}, runDir }), join(runDir, 'conf/x.conf'));
});

test('MX_SDK_HOME/config/streamserver.conf when MX_SDK_HOME is set', () => {
  assert.equal(resolveConfigPath({ env: { MX_SDK_HOME: '/opt/sdk' }, runDir }), '/opt/sdk/config/streamserver.conf');
});

test('an empty MX_SDK_HOME counts as unset', () => {
  assert.equal(resolveConfigPath({ env: { MX_SDK_HOME: '' }, runDir }), join(runDir, 'config/streamserver.conf'));
});

test('config/streamserver.conf under the run folder by default', () => {
  assert.equal(resolveConfigPath({ env: {}, runDir }), join(runDir, 'config/streamserver.conf'));
});
