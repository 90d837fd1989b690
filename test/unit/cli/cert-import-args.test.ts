import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IMPORT_USAGE, parseImportArgs } from '../../../src/cli/cert-import-args.js';
import { isStreamfrontError } from '../../../src/errors/error.js';

function usageErrorOf(argv: string[]): string {
  try {
    parseImportArgs(argv);
  } catch (err) {
    assert.ok(isStreamfrontError(err));
    assert.equal(err.code, 'CLI_USAGE');
    assert.equal(err.exitCode, 2);
    return err.message;
  }
  assert.fail(`no usage error for ${argv.join(' ')}`);
}

describe('certImport command line', () => {
  it('takes -c -s -k with an optional -r and the password options', () => {
    const parsed = parseImportArgs([
      '-c',
      'ca.crt',
      '-s',
      's.crt',
      '-k',
      's.key',
      '-r',
      'ca.crl',
      '--password-stdin',
      '--config',
      'x.conf',
    ]);
    assert.deepEqual(parsed, {
      help: false,
      args: {
        ca: 'ca.crt',
        serverCert: 's.crt',
        serverKey: 's.key',
        crl: 'ca.crl',
        passwordStdin: true,
        passwordFile: undefined,
        config: 'x.conf',
      },
    });
  });

  it('shows help with every option and an example', () => {
    assert.deepEqual(parseImportArgs(['--help']), { help: true });
    assert.deepEqual(parseImportArgs(['-h']), { help: true });
    for (const option of [
      '-c,',
      '-s,',
      '-k,',
      '-r,',
      '--password-stdin',
      '--password-file',
      '--config',
      'Examples:',
      'Exit codes:',
    ]) {
      assert.ok(IMPORT_USAGE.includes(option), option);
    }
  });

  it('refuses unknown options, missing values and missing required options as usage errors', () => {
    assert.match(usageErrorOf(['-c', 'ca.crt', '-s', 's.crt', '-k', 's.key', '--bogus']), /bogus/);
    assert.match(usageErrorOf(['-c', 'ca.crt', '-s', 's.crt', '-k']), /-k/);
    assert.match(usageErrorOf(['-c', 'ca.crt', '-s', 's.crt']), /--server-key/);
    assert.match(usageErrorOf([]), /--ca-cert/);
    assert.match(
      usageErrorOf(['-c', 'a', '-s', 'b', '-k', 'c', '--password-stdin', '--password-file', 'f']),
      /cannot be used together/,
    );
  });
});
