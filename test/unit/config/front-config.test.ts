import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigText, readFrontConfig, DEFAULT_CIPHER_LIST } from '../../../src/config/index.js';
import { StreamfrontError } from '../../../src/errors/error.js';

const read = (text: string) => readFrontConfig(parseConfigText(text, 'sf.conf'));

function refuses(text: string, code: string, pattern: RegExp, item: string): void {
  assert.throws(
    () => read(text),
    (err: unknown) => {
      assert.ok(err instanceof StreamfrontError);
      assert.equal(err.code, code);
      assert.equal(err.file, 'sf.conf');
      assert.equal(err.item, item);
      assert.match(err.message, pattern);
      assert.ok(err.hint !== undefined && err.hint.includes(item));
      return true;
    },
  );
}

test('an empty file gives the documented defaults', () => {
  const c = read('');
  assert.equal(c.serverName, 'StreamServer');
  assert.equal(c.enginePort, 8080);
  assert.equal(c.engineUrl, 'http://127.0.0.1:8080');
  assert.equal(c.maxContentLengthKb, 20480);
  assert.equal(c.cipherList, DEFAULT_CIPHER_LIST);
  assert.equal(c.serverIp, '127.0.0.1');
  assert.equal(c.serverPort, 8443);
  assert.equal(c.engineTimeoutMs, 60000);
  assert.equal(c.adminIp, '127.0.0.1');
  assert.equal(c.logLevel, 'info');
  assert.equal(c.accessLog, true);
  assert.equal(c.sdpAlgorithmId, 9);
  assert.ok(c.reloadPollMs <= 1000);
  assert.equal(c.crlExpiredPolicy, 'keep-enforcing');
  assert.equal(c.caCrt, '');
  assert.equal(c.serverKeyMm, '');
});

test('the engine URL follows port unless engine_url says otherwise', () => {
  assert.equal(read('port=9001\n').engineUrl, 'http://127.0.0.1:9001');
  assert.equal(read('port=9001\nengine_url=http://10.0.0.5:7000\n').engineUrl, 'http://10.0.0.5:7000');
  assert.equal(read('engine_url=/run/engine.sock\n').engineUrl, '/run/engine.sock');
  refuses('engine_url=https://x:1\n', 'CONFIG_BAD_VALUE', /engine_url \(line 1\)/, 'engine_url');
  refuses('engine_url=http://x:1/path\n', 'CONFIG_BAD_VALUE', /no path/, 'engine_url');
});

test('values of known items are typed', () => {
  const c = read(
    'access_log=off\nsdp_algorithm_id=8\nlog_level=debug\nserver_port=0\nadmin_ip=::1\ncrl_expired_policy=refuse-all\nca_crt=keys/ca.crt\n',
  );
  assert.equal(c.accessLog, false);
  assert.equal(c.sdpAlgorithmId, 8);
  assert.equal(c.logLevel, 'debug');
  assert.equal(c.serverPort, 0);
  assert.equal(c.adminIp, '::1');
  assert.equal(c.crlExpiredPolicy, 'refuse-all');
  assert.equal(c.caCrt, 'keys/ca.crt');
});

test('an empty value means the default, as in the engine', () => {
  assert.equal(read('port=\nmax_content_length=\n').enginePort, 8080);
});

test('a duplicate known item is refused naming both lines', () => {
  refuses('port=8080\n# c\nport=8081\n', 'CONFIG_DUPLICATE_ITEM', /item port is set on lines 1, 3/, 'port');
});

test('duplicates of unknown items are left alone, and unknown items never break the read', () => {
  assert.equal(read('infer_config_repo=a\ninfer_config_repo=b\nsomething_new=%%%\n').enginePort, 8080);
});

test('bad values name the item, its line and the rule', () => {
  refuses(
    '\nport=80\n',
    'CONFIG_BAD_VALUE',
    /item port \(line 2\): 80 is out of range; expected 1025 to 65535/,
    'port',
  );
  refuses('port=80a\n', 'CONFIG_BAD_VALUE', /'80a' is not a whole number/, 'port');
  refuses(
    'max_content_length=51201\n',
    'CONFIG_BAD_VALUE',
    /max_content_length \(line 1\).*1 to 51200/,
    'max_content_length',
  );
  refuses('max_content_length=0\n', 'CONFIG_BAD_VALUE', /out of range/, 'max_content_length');
  refuses('sdp_algorithm_id=7\n', 'CONFIG_BAD_VALUE', /'7' is not one of 8, 9/, 'sdp_algorithm_id');
  refuses('log_level=verbose\n', 'CONFIG_BAD_VALUE', /log_level/, 'log_level');
  refuses('access_log=yes\n', 'CONFIG_BAD_VALUE', /'yes' is not one of on, off/, 'access_log');
  refuses('server_ip=localhost\n', 'CONFIG_BAD_VALUE', /not an IPv4 or IPv6 address/, 'server_ip');
  refuses('crl_expired_policy=ignore\n', 'CONFIG_BAD_VALUE', /keep-enforcing, refuse-all/, 'crl_expired_policy');
  refuses('reload_poll_ms=5000\n', 'CONFIG_BAD_VALUE', /50 to 1000/, 'reload_poll_ms');
  refuses('server_name=a\u0007b\n', 'CONFIG_BAD_VALUE', /control characters/, 'server_name');
});

test('the admin listener must stay on loopback', () => {
  refuses(
    'admin_ip=0.0.0.0\n',
    'CONFIG_BAD_VALUE',
    /not a loopback address; use 127\.0\.0\.1 or ::1, or set admin_allow_remote=on/,
    'admin_ip',
  );
  assert.equal(read('admin_ip=0.0.0.0\nadmin_allow_remote=on\n').adminIp, '0.0.0.0');
  refuses(
    'admin_ip=10.1.2.3\nadmin_allow_remote=yes\n',
    'CONFIG_BAD_VALUE',
    /'yes' is not one of on, off/,
    'admin_allow_remote',
  );
  refuses('admin_ip=10.1.2.3\n', 'CONFIG_BAD_VALUE', /not a loopback address/, 'admin_ip');
  assert.equal(read('admin_ip=127.0.0.2\n').adminIp, '127.0.0.2');
});

test('admin_port may not collide with server_port on the same address', () => {
  refuses('server_port=9000\nadmin_port=9000\n', 'CONFIG_BAD_VALUE', /also server_port/, 'admin_port');
  assert.equal(read('server_port=0\nadmin_port=0\n').adminPort, 0);
});

test('cipher_list accepts only the engine suites and names the one refused', () => {
  assert.equal(
    read('cipher_list=ECDHE-ECDSA-AES128-CCM:ECDHE-RSA-AES128-GCM-SHA256\n').cipherList,
    'ECDHE-ECDSA-AES128-CCM:ECDHE-RSA-AES128-GCM-SHA256',
  );
  refuses(
    'cipher_list=ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA\n',
    'CONFIG_BAD_VALUE',
    /'AES128-SHA' is not allowed/,
    'cipher_list',
  );
  refuses('cipher_list=ECDHE-RSA-AES128-GCM-SHA256::\n', 'CONFIG_BAD_VALUE', /empty entry/, 'cipher_list');
  refuses('cipher_list=ALL\n', 'CONFIG_BAD_VALUE', /'ALL' is not allowed/, 'cipher_list');
});

test('a secret-looking value is not echoed for items that take free text', () => {
  // Material items are free text: nothing to refuse, so nothing is echoed.
  assert.equal(read('server_key_mm=SF1:abc\n').serverKeyMm, 'SF1:abc');
});
