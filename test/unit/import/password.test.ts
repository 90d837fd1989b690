import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { isStreamfrontError } from '../../../src/errors/error.js';
import { choosePasswordSource, readPassword } from '../../../src/import/password.js';

function io(input: string): { stdin: PassThrough; prompt: PassThrough } {
  const stdin = new PassThrough();
  stdin.end(input);
  return { stdin, prompt: new PassThrough() };
}

function codeOf(err: unknown): string {
  return isStreamfrontError(err) ? err.code : String(err);
}

describe('key password entry', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sf-password-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads only the first line of stdin, without its line ending', async () => {
    assert.equal(await readPassword({ kind: 'stdin' }, io('s3cret pass\r\nsecond line\n')), 's3cret pass');
  });

  it('refuses an empty password and one over 100 characters, without echoing it', async () => {
    await assert.rejects(readPassword({ kind: 'stdin' }, io('\n')), (err) => codeOf(err) === 'IMPORT_PASSWORD_EMPTY');
    const long = 'x'.repeat(101);
    await assert.rejects(
      readPassword({ kind: 'stdin' }, io(`${long}\n`)),
      (err: Error) => codeOf(err) === 'IMPORT_PASSWORD_TOO_LONG' && !err.message.includes(long),
    );
    assert.equal(await readPassword({ kind: 'stdin' }, io(`${'y'.repeat(100)}\n`)), 'y'.repeat(100));
  });

  it('reads an owner-only password file and refuses one readable by others', async () => {
    const good = join(dir, 'good');
    await writeFile(good, 'from-file\n', { mode: 0o600 });
    assert.equal(await readPassword({ kind: 'file', path: good }, io('')), 'from-file');
    const open = join(dir, 'open');
    await writeFile(open, 'from-file\n', { mode: 0o644 });
    await assert.rejects(
      readPassword({ kind: 'file', path: open }, io('')),
      (err: Error) => codeOf(err) === 'IMPORT_PASSWORD_FILE_UNSAFE' && err.message.includes('0644'),
    );
  });

  it('asks the terminal only when stdin is one, and says which option to use otherwise', () => {
    assert.deepEqual(choosePasswordSource({ passwordStdin: false }, true), { kind: 'tty' });
    assert.deepEqual(choosePasswordSource({ passwordStdin: true }, false), { kind: 'stdin' });
    assert.deepEqual(choosePasswordSource({ passwordStdin: false, passwordFile: 'f' }, false), {
      kind: 'file',
      path: 'f',
    });
    assert.throws(
      () => choosePasswordSource({ passwordStdin: false }, false),
      (err: Error) =>
        codeOf(err) === 'IMPORT_PASSWORD_NO_TTY' && /--password-stdin/.test(String((err as { hint?: string }).hint)),
    );
  });
});
