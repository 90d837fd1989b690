// The kmc command as an operator runs it: help and usage errors, init, status (never key
// bytes), rotate, rewrap of server_key_mm in the config, and retire of unreferenced keys.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Keystore, keystorePathsIn } from '../../../src/kmc/index.js';
import { makeKeysDir } from './helpers.js';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '../../../src/cli/kmc.js');
const ITEM = 'server_key_mm';

describe('kmc command', () => {
  let dir: string;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    ({ dir, cleanup } = await makeKeysDir());
  });
  afterEach(async () => cleanup());

  function kmc(args: string[], env: NodeJS.ProcessEnv = {}): { code: number | null; stdout: string; stderr: string } {
    const base = { ...process.env };
    delete base.STREAMFRONT_KMC_SECRET_FILE;
    delete base.CREDENTIALS_DIRECTORY;
    delete base.MX_SDK_HOME;
    delete base.INIT_CWD; // set by `npm test` to the project folder; kmc would act there, not in dir
    const r = spawnSync(process.execPath, [CLI, ...args], {
      cwd: dir,
      env: { ...base, ...env },
      encoding: 'utf8',
      timeout: 20000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  async function readKeystoreText(): Promise<string> {
    return readFile(join(dir, 'keys', 'kmc.ks'), 'utf8');
  }

  it('prints usage with exit codes and examples on --help, exit 0', () => {
    const r = kmc(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Exit codes:/);
    assert.match(r.stdout, /Examples:/);
    assert.match(r.stdout, /rewrap/);
  });

  it('exits 2 with one line on a missing or unknown verb or option', () => {
    for (const args of [[], ['frobnicate'], ['status', '--bogus'], ['status', 'extra'], ['init', '--config', 'x']]) {
      const r = kmc(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, /^kmc: error: .*\[CLI_USAGE\]\n$/);
    }
  });

  it('status refuses with exit 1 and the import hint when there is no keystore', () => {
    const r = kmc(['status']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /KMC_KEYSTORE_MISSING/);
    assert.match(r.stderr, /certImport\.sh/);
  });

  it('init creates the keystore once and refuses the second time', async () => {
    const first = kmc(['init']);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /created .*kmc\.ks and .*StandbyKsf\.ks \(generation 1/);
    const before = await readKeystoreText();
    const second = kmc(['init']);
    assert.equal(second.code, 1);
    assert.match(second.stderr, /KMC_KEYSTORE_EXISTS/);
    assert.equal(await readKeystoreText(), before);
  });

  it('status shows copies, generation and key states but never key bytes', async () => {
    assert.equal(kmc(['init']).code, 0);
    const r = kmc(['status']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /copy .*kmc\.ks: good, generation 1/);
    assert.match(r.stdout, /copy .*StandbyKsf\.ks: good, generation 1/);
    assert.match(r.stdout, /id 1 {2}active/);
    const body = JSON.parse((await readKeystoreText()).split('\n')[0] as string) as {
      rootMaterial: string;
      masterKeys: { wrapped: string }[];
    };
    assert.ok(!r.stdout.includes(body.rootMaterial));
    for (const part of (body.masterKeys[0]?.wrapped ?? 'x').split('.')) assert.ok(!r.stdout.includes(part));
  });

  it('init with an operator secret needs it afterwards', async () => {
    await writeFile(join(dir, 'secret'), 'op-secret\n', { mode: 0o600 });
    const env = { STREAMFRONT_KMC_SECRET_FILE: join(dir, 'secret') };
    assert.equal(kmc(['init'], env).code, 0);
    assert.match(kmc(['status'], env).stdout, /operator secret: required/);
    const r = kmc(['status']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /KMC_OPERATOR_SECRET_MISSING/);
  });

  it('rotate, rewrap and retire move server_key_mm to the new key and destroy the old one', async () => {
    assert.equal(kmc(['init']).code, 0);
    const paths = keystorePathsIn(join(dir, 'keys'));
    const original = (await Keystore.open(paths, {})).encrypt('key-pass', ITEM, 8);
    await mkdir(join(dir, 'config'));
    const conf = join(dir, 'config', 'streamserver.conf');
    const text = `# comment stays\nserver_port=8443\n${ITEM}=${original}\n\n# tail\n`;
    await writeFile(conf, text, { mode: 0o600 });

    // Nothing to retire while key 1 is active.
    assert.match(kmc(['retire']).stdout, /nothing retired/);

    const rot = kmc(['rotate']);
    assert.equal(rot.code, 0, rot.stderr);
    assert.match(rot.stdout, /master key 2 is now active.*key 1 is decrypt-only/);
    assert.match(kmc(['status']).stdout, /id 1 {2}decrypt-only/);

    // Key 1 is still referenced by the config: retire keeps it.
    assert.match(kmc(['retire']).stdout, /nothing retired/);

    const rw = kmc(['rewrap', '--config', 'config/streamserver.conf']);
    assert.equal(rw.code, 0, rw.stderr);
    assert.match(rw.stdout, /rewrapped from master key 1 to 2/);
    const after = await readFile(conf, 'utf8');
    const value = /server_key_mm=(.*)\n/.exec(after)?.[1] ?? '';
    assert.match(value, /^SFKMC1\$0\$2\$8\$/, 'new key id, same algorithm');
    assert.equal(after, text.replace(original, value), 'every other byte of the config kept');
    assert.match(kmc(['rewrap']).stdout, /already under the active master key 2/);

    const rt = kmc(['retire']);
    assert.equal(rt.code, 0, rt.stderr);
    assert.match(rt.stdout, /retired master key 1 /);
    assert.match(kmc(['status']).stdout, /id 1 {2}retired/);
    const ks = await Keystore.open(paths, {});
    assert.equal(ks.decrypt(value, ITEM), 'key-pass');
    assert.throws(() => ks.decrypt(original, ITEM), /retired/);
    assert.equal(JSON.parse((await readKeystoreText()).split('\n')[0] as string).masterKeys[0].wrapped, null);
  });

  it('rewrap refuses an empty server_key_mm and leaves the config alone', async () => {
    assert.equal(kmc(['init']).code, 0);
    await writeFile(join(dir, 'c.conf'), `${ITEM}=\n`);
    const r = kmc(['rewrap', '--config', 'c.conf']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /KMC_CONFIG_NO_CIPHERTEXT/);
    assert.equal(await readFile(join(dir, 'c.conf'), 'utf8'), `${ITEM}=\n`);
  });

  it('rewrap refuses a plain-text server_key_mm instead of re-encrypting it, without echoing it', async () => {
    assert.equal(kmc(['init']).code, 0);
    await writeFile(join(dir, 'c.conf'), `${ITEM}=PlainPassw0rd\n`);
    const r = kmc(['rewrap', '--config', 'c.conf']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /KMC_CIPHERTEXT_NOT_PREFIXED/);
    assert.ok(!r.stderr.includes('PlainPassw0rd'));
  });
});
