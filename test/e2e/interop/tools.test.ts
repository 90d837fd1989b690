// A client missing from the machine fails its matrix row with the Debian package to install,
// never a silent skip: the checks behind every row's prepare().
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MissingClientError, requireCommand, requirePythonModule } from './tools.js';

describe('interop harness: missing clients', () => {
  it('a command that is not installed names its Debian package', () => {
    assert.throws(
      () => requireCommand('streamfront-no-such-client', ['--version'], 'curl'),
      (err: unknown) => {
        assert.ok(err instanceof MissingClientError);
        assert.match(err.message, /streamfront-no-such-client is not available \(ENOENT\)/);
        assert.match(err.message, /apt-get install -y curl/);
        return true;
      },
    );
  });

  it('a Python module Debian python3 cannot import names its Debian package', () => {
    assert.throws(
      () => requirePythonModule('streamfront_no_such_module', 'python3-httpx'),
      (err: unknown) => {
        assert.ok(err instanceof MissingClientError);
        assert.match(err.message, /ModuleNotFoundError/);
        assert.match(err.message, /apt-get install -y python3-httpx/);
        return true;
      },
    );
  });
});
