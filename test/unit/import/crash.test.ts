// The import is one transaction across keys/ and the config: a SIGKILL at any step of the
// commit leaves what the next import or start turns into fully old or fully new, with no
// staging folder, journal, lock or temp file left; while the import lives, nothing of it is touched.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { recoverInterruptedImport } from '../../../src/import/recover.js';
import { Keystore, keystorePathsIn } from '../../../src/kmc/index.js';
import { buildPki, buildServerPair, type Pki } from '../../fixtures/pki.js';
import { errorLines, importPkiInto, makeRunFolder, type RunFolder } from '../errors/run-folder.js';

const CHILD = fileURLToPath(new URL('./child-import.js', import.meta.url));
const STEPS = [
  'staged',
  'journal-written',
  'config-temp-written',
  'linked:ca.crt',
  'linked:server.crt',
  'linked:server.key',
  'linked:ca.crl',
  'config-renamed',
] as const;
const MOVED = ['ca.crt', 'server.crt', 'server.key', 'ca.crl'];

type Pair = Awaited<ReturnType<typeof buildServerPair>>;

interface PausedImport {
  readonly child: ChildProcess;
  kill9(): Promise<void>;
}

async function startPausedImport(f: RunFolder, pki: Pki, pair: Pair, step: string): Promise<PausedImport> {
  const child = spawn(
    process.execPath,
    [CHILD, f.dir, pki.ca.cert, pair.cert, pair.keyEncrypted, pki.crls.good, step],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  child.stdin?.end(`${pair.password}\n`);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`import never paused at ${step}: ${err}`)), 30_000);
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes(`import-test-paused ${step}`)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`import exited ${String(code)} before pausing at ${step}: ${err}`));
    });
  });
  return {
    child,
    async kill9() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** README's way 2 up to the import: a run folder with imported material, the old files moved away. */
function preparedForReimport(pki: Pki): RunFolder {
  const f = makeRunFolder('sf-import-crash-');
  importPkiInto(f, pki, { withCrl: true });
  mkdirSync(join(f.dir, 'old-keys'));
  for (const name of MOVED) renameSync(join(f.keysDir, name), join(f.dir, 'old-keys', name));
  return f;
}

/** Names a crash could leave behind: staging folders, the journal, locks, temp files (keys/ and the config's folder). */
function leftovers(f: RunFolder): string[] {
  const names = [
    ...readdirSync(f.keysDir).map((n) => `keys/${n}`),
    ...readdirSync(dirname(f.configPath)).map((n) => `config/${n}`),
  ];
  return names.filter((n) => /\/\.import|\.lock$|\.tmp$/.test(n));
}

async function assertFullyNew(f: RunFolder, pair: Pair): Promise<void> {
  const items = f.configItems();
  assert.equal(items.get('server_crt'), 'keys/server.crt');
  assert.deepEqual(
    readFileSync(join(f.keysDir, 'server.crt')),
    readFileSync(pair.cert),
    'the new certificate is in place',
  );
  const ks = await Keystore.open(keystorePathsIn(f.keysDir), { isRepairAllowed: false });
  assert.equal(
    ks.decrypt(items.get('server_key_mm') ?? '', 'server_key_mm'),
    pair.password,
    'server_key_mm is the new password',
  );
  const check = f.run('run.sh', ['--check']);
  assert.equal(check.status, 0, check.stderr);
}

describe('import crash safety', () => {
  let pki: Pki;
  let pair: Pair;
  const folders: RunFolder[] = [];
  before(async () => {
    pki = await buildPki();
    pair = await buildServerPair(pki);
  });
  after(() => {
    for (const f of folders) f.remove();
  });

  for (const step of STEPS) {
    it(`killed -9 after "${step}": --check names the interrupted import and writes nothing; the next import leaves it fully old or fully new, nothing left over`, async () => {
      const f = preparedForReimport(pki);
      folders.push(f);
      const before = f.snapshot();
      const importer = await startPausedImport(f, pki, pair, step);
      await importer.kill9();

      const crashed = f.snapshot();
      const check = f.run('run.sh', ['--check']);
      assert.equal(check.status, 1);
      const line = errorLines(check.stderr, 'run')[0] ?? '';
      assert.doesNotMatch(line, /PKI_KEY_BAD_PASSWORD/, 'never a misleading password error');
      if (step !== 'staged') assert.match(line, /\[IMPORT_INTERRUPTED\]$/);
      assert.equal(f.snapshot(), crashed, '--check changed nothing');

      const again = f.run('certImport.sh', [
        '-c',
        pki.ca.cert,
        '-s',
        pair.cert,
        '-k',
        pair.keyEncrypted,
        '-r',
        pki.crls.good,
        '--password-file',
        f.passwordFile(pair.password),
      ]);
      if (step === 'config-renamed') {
        // The kill came after the commit point: the import had gone through, the retry finds it done.
        assert.match(errorLines(again.stderr, 'certImport')[0] ?? '', /\[IMPORT_KEYS_DIR_OCCUPIED\]$/);
      } else {
        assert.equal(again.status, 0, `the retried import goes through: ${again.stderr}`);
      }
      await assertFullyNew(f, pair);
      assert.deepEqual(leftovers(f), []);
      assert.notEqual(f.snapshot(), before);
    });

    it(`killed -9 after "${step}": the start's recovery leaves keys/ and the config exactly as before, or fully new`, async () => {
      const f = preparedForReimport(pki);
      folders.push(f);
      const before = f.snapshot();
      const importer = await startPausedImport(f, pki, pair, step);
      await importer.kill9();
      const outcome = await recoverInterruptedImport(f.keysDir);
      assert.deepEqual(leftovers(f), []);
      if (step === 'config-renamed') {
        assert.equal(outcome.action, 'rolled-forward');
        await assertFullyNew(f, pair);
      } else {
        assert.equal(f.snapshot(), before, `rolled back to exactly the old state (${outcome.action})`);
      }
    });
  }

  it('a live import paused half-way: recovery and a second import touch none of its files', async () => {
    const f = preparedForReimport(pki);
    folders.push(f);
    const importer = await startPausedImport(f, pki, pair, 'linked:server.crt');
    try {
      const during = f.snapshot();
      assert.equal((await recoverInterruptedImport(f.keysDir)).action, 'busy');
      const second = f.run('certImport.sh', [
        '-c',
        pki.ca.cert,
        '-s',
        pair.cert,
        '-k',
        pair.keyEncrypted,
        '--password-file',
        f.passwordFile(pair.password),
      ]);
      assert.match(errorLines(second.stderr, 'certImport')[0] ?? '', /\[IMPORT_IN_PROGRESS\]$/);
      const check = f.run('run.sh', ['--check']);
      assert.match(errorLines(check.stderr, 'run')[0] ?? '', /\[IMPORT_IN_PROGRESS\]$/);
      assert.equal(f.snapshot(), during, 'the running import kept every file');
      assert.ok(existsSync(join(f.keysDir, 'server.crt')));
    } finally {
      await importer.kill9();
    }
  });
});

describe('first import crash safety (keys/ and the keystore made by the import)', () => {
  let pki: Pki;
  const folders: RunFolder[] = [];
  before(async () => {
    pki = await buildPki();
  });
  after(() => {
    for (const f of folders) f.remove();
  });

  for (const step of ['linked:server.key', 'keystore-saved'] as const) {
    it(`killed -9 after "${step}": the start's recovery removes keys/ it made, keystore included`, async () => {
      const f = makeRunFolder('sf-import-first-crash-');
      folders.push(f);
      const before = f.snapshot();
      const pair = { cert: pki.server.cert, keyEncrypted: pki.server.keyEncrypted, password: pki.password } as Pair;
      const importer = await startPausedImport(f, pki, pair, step);
      await importer.kill9();
      assert.ok(existsSync(f.keysDir));
      assert.equal((await recoverInterruptedImport(f.keysDir)).action, 'rolled-back');
      assert.equal(f.snapshot(), before, 'no keys/, config as it was');
    });
  }
});
