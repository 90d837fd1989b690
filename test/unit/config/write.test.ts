import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat, symlink, writeFile, chmod, lstat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFile, writeConfigAtomic } from '../../../src/config/index.js';
import { StreamfrontError } from '../../../src/errors/error.js';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sf-config-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const modeOf = async (p: string): Promise<number> => (await stat(p)).mode & 0o777;

test('rewriting keeps the existing file mode, even one the umask would narrow', () =>
  withDir(async (dir) => {
    const file = join(dir, 'streamserver.conf');
    await writeFile(file, 'port=1\n');
    await chmod(file, 0o664);
    const before = (await stat(file)).ino;
    await writeConfigAtomic(file, 'port=2\n');
    assert.equal(await readFile(file, 'utf8'), 'port=2\n');
    assert.equal(await modeOf(file), 0o664);
    assert.notEqual((await stat(file)).ino, before, 'replaced by rename, not rewritten in place');
    await chmod(file, 0o640);
    await writeConfigAtomic(file, 'port=3\n');
    assert.equal(await modeOf(file), 0o640);
    assert.deepEqual(await readdir(dir), ['streamserver.conf'], 'no temp file left behind');
  }));

test('a new config file is created owner-only (0600)', () =>
  withDir(async (dir) => {
    const file = join(dir, 'new.conf');
    await writeConfigAtomic(file, 'server_key_mm=x\n');
    assert.equal(await modeOf(file), 0o600);
  }));

test('a symlinked config stays a symlink; its target gets the new text', () =>
  withDir(async (dir) => {
    const real = join(dir, 'real.conf');
    const link = join(dir, 'link.conf');
    await writeFile(real, 'port=1\n', { mode: 0o600 });
    await symlink(real, link);
    await writeConfigAtomic(link, 'port=2\n');
    assert.ok((await lstat(link)).isSymbolicLink());
    assert.equal(await readFile(real, 'utf8'), 'port=2\n');
  }));

test('text the native reader cannot take is refused before anything is written', () =>
  withDir(async (dir) => {
    const file = join(dir, 'streamserver.conf');
    await writeFile(file, 'port=1\n');
    await assert.rejects(writeConfigAtomic(file, `server_key_mm=${'x'.repeat(1000)}\n`), (err: unknown) => {
      assert.ok(err instanceof StreamfrontError);
      assert.equal(err.code, 'CONFIG_TOO_LARGE');
      assert.equal(err.file, file);
      assert.match(err.message, /line 1 has 1014 characters/);
      return true;
    });
    await assert.rejects(writeConfigAtomic(file, 'a=1\n'.repeat(100)), { code: 'CONFIG_TOO_LARGE' });
    assert.equal(await readFile(file, 'utf8'), 'port=1\n');
    assert.deepEqual(await readdir(dir), ['streamserver.conf']);
  }));

test('loading a missing config names the file and the ways to point at one', () =>
  withDir(async (dir) => {
    const file = join(dir, 'missing.conf');
    await assert.rejects(loadConfigFile(file), (err: unknown) => {
      assert.ok(err instanceof StreamfrontError);
      assert.equal(err.code, 'CONFIG_UNREADABLE');
      assert.equal(err.file, file);
      assert.match(err.message, /does not exist/);
      assert.match(err.hint ?? '', /--config/);
      return true;
    });
    await assert.rejects(loadConfigFile(dir), { code: 'CONFIG_UNREADABLE', message: /not a regular file/ });
    await writeFile(file, 'port=9\n');
    const { text, parsed } = await loadConfigFile(file);
    assert.equal(text, 'port=9\n');
    assert.equal(parsed.items.get('port')?.value, '9');
  }));
