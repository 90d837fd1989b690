// Refusals an operator meets at the shell, through bash ./certImport.sh and ./run.sh: each is
// exit 1 with one `<command>: error:` line naming the file and ending in its code, and the
// import writes nothing.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, symlinkSync, ftruncateSync, writeFileSync } from 'node:fs';
import { MAX_LINES } from '../../../src/config/index.js';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildPki, type Pki } from '../../fixtures/pki.js';
import { cleanEnv, copyPkiInto, errorLines, makeRunFolder, type RunFolder } from '../errors/run-folder.js';

const hasScript = spawnSync('script', ['--version']).status === 0;
/** The limit in src/material/operator-file.ts: 64 MiB. */
const MATERIAL_LIMIT = 64 * 1024 * 1024;

describe('certImport.sh and run.sh refusals, as the operator sees them', () => {
  let pki: Pki;
  const folders: RunFolder[] = [];
  const folder = (): RunFolder => {
    const f = makeRunFolder('sf-refuse-');
    copyPkiInto(f, pki, { withCrl: true });
    folders.push(f);
    return f;
  };
  before(async () => {
    pki = await buildPki();
  });
  after(() => {
    for (const f of folders) f.remove();
  });

  /** Runs the import, expects exit 1 with exactly one error line, and nothing written. */
  function refusedImport(f: RunFolder, args: string[]): string {
    const before = f.snapshot();
    const res = f.run('certImport.sh', [...args, '--password-file', f.passwordFile(pki.password)]);
    assert.equal(res.status, 1, res.stderr);
    const lines = errorLines(res.stderr, 'certImport');
    assert.equal(lines.length, 1, res.stderr);
    assert.equal(f.snapshot(), before, 'keys/ or the config changed');
    assert.ok(!existsSync(f.keysDir), 'keys/ was created');
    return lines[0] as string;
  }

  it('refuses a --config file that does not exist: IMPORT_CONFIG_MISSING naming it', () => {
    const f = folder();
    const line = refusedImport(f, [
      '-c',
      'ca.crt',
      '-s',
      'server.crt',
      '-k',
      'server.key',
      '--config',
      'elsewhere/streamserver.conf',
    ]);
    assert.equal(
      line,
      `certImport: error: ${join(f.dir, 'elsewhere', 'streamserver.conf')}: config file not found; fix: copy the shipped config/streamserver.conf there, or name another with --config F [IMPORT_CONFIG_MISSING]`,
    );
  });

  it('refuses a --config that is a folder: CONFIG_UNREADABLE naming it', () => {
    const f = folder();
    const line = refusedImport(f, ['-c', 'ca.crt', '-s', 'server.crt', '-k', 'server.key', '--config', 'config']);
    assert.equal(
      line,
      `certImport: error: ${join(f.dir, 'config')}: config file is not a regular file; fix: pass --config <file>, set MX_SDK_HOME, or copy the shipped config/streamserver.conf into place [CONFIG_UNREADABLE]`,
    );
  });

  it('refuses an import whose config would outgrow the StreamServer reader (99 lines): CONFIG_TOO_LARGE, nothing written', () => {
    const f = folder();
    // Without a crl= line the import appends one; padded to the reader's 99 lines, that is one too many.
    const lines = readFileSync(f.configPath, 'utf8')
      .split('\n')
      .filter((l) => !l.startsWith('crl='));
    if (lines[lines.length - 1] === '') lines.pop();
    while (lines.length < MAX_LINES) lines.push('# padding');
    writeFileSync(f.configPath, `${lines.join('\n')}\n`);
    const line = refusedImport(f, ['-c', 'ca.crt', '-s', 'server.crt', '-k', 'server.key']);
    assert.match(
      line,
      /^certImport: error: .*streamserver\.conf: has 100 lines; the StreamServer reader takes at most 99; the file was not written; fix: .+ \[CONFIG_TOO_LARGE\]$/,
    );
  });

  it('refuses a CA certificate path that does not exist: MATERIAL_FILE_MISSING naming it as typed', () => {
    const line = refusedImport(folder(), ['-c', 'no-such-ca.crt', '-s', 'server.crt', '-k', 'server.key']);
    assert.equal(
      line,
      'certImport: error: no-such-ca.crt: CA certificate not found; fix: check the path [MATERIAL_FILE_MISSING]',
    );
  });

  it('refuses a CA certificate that cannot be opened (a symlink loop): MATERIAL_FILE_UNREADABLE with the reason', () => {
    const f = folder();
    symlinkSync('loop.crt', join(f.dir, 'loop.crt'));
    const line = refusedImport(f, ['-c', 'loop.crt', '-s', 'server.crt', '-k', 'server.key']);
    assert.match(
      line,
      /^certImport: error: loop\.crt: CA certificate cannot be read \(ELOOP\); fix: .+ \[MATERIAL_FILE_UNREADABLE\]$/,
    );
  });

  it(`refuses a CRL over the ${MATERIAL_LIMIT}-byte limit before reading it: MATERIAL_FILE_TOO_LARGE`, () => {
    const f = folder();
    const fd = openSync(join(f.dir, 'huge.crl'), 'w', 0o644);
    ftruncateSync(fd, MATERIAL_LIMIT + 1); // sparse: no disk space used
    closeSync(fd);
    const line = refusedImport(f, ['-c', 'ca.crt', '-s', 'server.crt', '-k', 'server.key', '-r', 'huge.crl']);
    assert.equal(
      line,
      `certImport: error: huge.crl: CRL is ${MATERIAL_LIMIT + 1} bytes, over the ${MATERIAL_LIMIT}-byte limit; fix: check that the right file was given [MATERIAL_FILE_TOO_LARGE]`,
    );
  });

  it('run.sh --check before any import: MATERIAL_NOT_IMPORTED with the certImport command as the fix', () => {
    const f = folder();
    const res = f.run('run.sh', ['--check']);
    assert.equal(res.status, 1, res.stderr);
    assert.deepEqual(errorLines(res.stderr, 'run'), [
      'run: error: no certificate has been imported yet (ca_crt, server_crt, server_key or server_key_mm is empty); fix: bash ./certImport.sh -c <ca.crt> -s <server.crt> -k <server.key> [-r <ca.crl>] [MATERIAL_NOT_IMPORTED]',
    ]);
    assert.ok(!res.stdout.includes('check passed'), res.stdout);
  });

  it('Ctrl-C at the password prompt of a real terminal: IMPORT_PASSWORD_ABORTED, exit 1, nothing written', {
    skip: hasScript ? false : 'script(1) is not installed',
  }, async () => {
    const f = folder();
    const before = f.snapshot();
    const transcript = join(f.dir, 'transcript');
    const child = spawn('script', ['-qec', 'bash ./certImport.sh -c ca.crt -s server.crt -k server.key', transcript], {
      cwd: f.dir,
      env: cleanEnv(),
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let seen = '';
    let typed = false;
    child.stdout.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      if (!typed && seen.includes('Password of the server key: ')) {
        typed = true;
        // Echo is off before the prompt is written (src/import/password.ts): type at once.
        child.stdin.write('half-typed\u0003');
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(timer);
    const shown = readFileSync(transcript, 'utf8');
    assert.ok(typed, `no prompt was shown: ${shown}`);
    assert.equal(status, 1, shown);
    assert.match(
      shown,
      /certImport: error: password entry interrupted; fix: run the import again \[IMPORT_PASSWORD_ABORTED\]/,
    );
    assert.ok(!shown.includes('half-typed'), 'the typed characters were echoed');
    assert.equal(f.snapshot(), before, 'keys/ or the config changed');
  });
});
