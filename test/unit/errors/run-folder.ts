// A throw-away run folder laid out like an installation (certImport.sh, run.sh, config/) whose
// scripts run the compiled code under test, so CLI tests go through the real shell entry points.
//
// The scripts find their code beside themselves (dist/, node_modules/), so the folder holds
// symlinks to this build and to the project's dependencies, plus a build stamp newer than
// every source it checks: the scripts then neither install nor rebuild the shared tree.
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Pki } from '../../fixtures/pki.js';
import { projectRoot } from '../../fixtures/project-root.js';

/** The compiled output this test file belongs to (dist/ or .build/<name>/). */
export const BUILD_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export const isRoot = typeof process.geteuid === 'function' && process.geteuid() === 0;

export interface RunFolder {
  readonly dir: string;
  readonly configPath: string;
  readonly keysDir: string;
  /** Runs `bash ./<script> ...args` from the run folder; stdin gets `input`. */
  run(script: 'certImport.sh' | 'run.sh', args: readonly string[], input?: string): SpawnSyncReturns<string>;
  /** Writes an owner-only (0600) password file and returns its path, for --password-file. */
  passwordFile(password: string): string;
  /** The config's key=value items. */
  configItems(): Map<string, string>;
  /** Sets config items by rewriting their lines in place (test set-up only). */
  setConfigItems(items: Readonly<Record<string, string>>): void;
  /** sha256 over keys/ (names, owners, modes, bytes, keys/ itself) and the config's bytes. */
  snapshot(): string;
  remove(): void;
}

/** Environment for the scripts: no keystore secret, no MX_SDK_HOME, nothing inherited that steers them. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // INIT_CWD: npm exports it to every child of npm test; kmc honours it only under `npm run kmc`,
  // but nothing inherited should steer the scripts.
  for (const name of [
    'MX_SDK_HOME',
    'STREAMFRONT_KMC_SECRET_FILE',
    'CREDENTIALS_DIRECTORY',
    'NODE_OPTIONS',
    'INIT_CWD',
  ])
    delete env[name];
  return env;
}

export function makeRunFolder(prefix = 'sf-cli-'): RunFolder {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const configPath = join(dir, 'config', 'streamserver.conf');
  const keysDir = join(dir, 'keys');
  mkdirSync(join(dir, 'config'));
  mkdirSync(join(dir, 'src', 'cli'), { recursive: true });
  mkdirSync(join(dir, 'dist'));
  copyFileSync(join(projectRoot, 'config', 'streamserver.conf'), configPath);
  for (const script of ['certImport.sh', 'run.sh']) copyFileSync(join(projectRoot, script), join(dir, script));
  const helper = join(dir, 'src', 'cli', 'ensure-built.sh');
  copyFileSync(join(projectRoot, 'src', 'cli', 'ensure-built.sh'), helper);
  symlinkSync(join(projectRoot, 'node_modules'), join(dir, 'node_modules'));
  symlinkSync(join(BUILD_ROOT, 'src'), join(dir, 'dist', 'src'));
  // The stamp must be strictly newer than what ensure-built.sh compares it with.
  const past = new Date(Date.now() - 3_600_000);
  utimesSync(helper, past, past);
  utimesSync(join(dir, 'src', 'cli'), past, past);
  utimesSync(join(dir, 'src'), past, past);
  writeFileSync(join(dir, 'dist', '.build-stamp'), '');

  const folder: RunFolder = {
    dir,
    configPath,
    keysDir,
    run(script, args, input = '') {
      const res = spawnSync('bash', [`./${script}`, ...args], {
        cwd: dir,
        input,
        encoding: 'utf8',
        env: cleanEnv(),
        timeout: 60_000,
        killSignal: 'SIGKILL',
      });
      // The scripts must run this build as it is, never install or rebuild from the run folder.
      if (/streamfront: (building|installing)/.test(res.stderr))
        throw new Error(`${script} tried to build in ${dir}: ${res.stderr}`);
      return res;
    },
    passwordFile(password) {
      const path = join(dir, `pass-${createHash('sha256').update(String(Math.random())).digest('hex').slice(0, 8)}`);
      writeFileSync(path, `${password}\n`, { mode: 0o600 });
      return path;
    },
    configItems() {
      const items = new Map<string, string>();
      for (const line of readFileSync(configPath, 'utf8').split('\n')) {
        const m = /^([A-Za-z0-9_.-]+)=(.*)$/.exec(line);
        if (m !== null) items.set(m[1] as string, m[2] as string);
      }
      return items;
    },
    setConfigItems(items) {
      let text = readFileSync(configPath, 'utf8');
      for (const [item, value] of Object.entries(items)) {
        const re = new RegExp(`^${item.replace(/[.]/g, '\\.')}=.*$`, 'm');
        text = re.test(text)
          ? text.replace(re, `${item}=${value}`)
          : `${text}${text.endsWith('\n') ? '' : '\n'}${item}=${value}\n`;
      }
      writeFileSync(configPath, text);
    },
    snapshot() {
      const hash = createHash('sha256');
      if (existsSync(keysDir)) {
        const s = lstatSync(keysDir);
        hash.update(`keys/ ${s.uid} ${s.mode}\n`);
        for (const name of readdirSync(keysDir).sort()) {
          const f = lstatSync(join(keysDir, name));
          hash.update(`${name} ${f.uid} ${f.mode}\n`);
          if (f.isFile()) hash.update(readFileSync(join(keysDir, name)));
        }
      } else hash.update('no keys/\n');
      hash.update(readFileSync(configPath));
      return hash.digest('hex');
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return folder;
}

/** The `<command>: error: ...` lines of a run's stderr (the refusal itself, not the logs). */
export function errorLines(stderr: string, command: 'certImport' | 'run'): string[] {
  return stderr.split('\n').filter((line) => line.startsWith(`${command}: error: `));
}

/** A copy of `source` in the run folder (its own inode, so it can be chowned or chmodded freely). */
export function copyInto(folder: RunFolder, source: string, name: string, mode = 0o600): string {
  const target = join(folder.dir, name);
  writeFileSync(target, readFileSync(source));
  chmodSync(target, mode);
  return target;
}

export interface PkiCopyOptions {
  /** Also the fixture's good CRL as ca.crl (imported with -r). Default false. */
  readonly withCrl?: boolean;
}

/** The fixture PKI's files in the run folder under the names the README uses, with an operator's modes. */
export function copyPkiInto(folder: RunFolder, pki: Pki, options: PkiCopyOptions = {}): void {
  copyInto(folder, pki.ca.cert, 'ca.crt', 0o644);
  copyInto(folder, pki.server.cert, 'server.crt', 0o644);
  copyInto(folder, pki.server.keyEncrypted, 'server.key', 0o600);
  if (options.withCrl === true) copyInto(folder, pki.crls.good, 'ca.crl', 0o644);
}

/** Copies the fixture PKI in and imports it through the real certImport.sh; a failed import fails the test. */
export function importPkiInto(folder: RunFolder, pki: Pki, options: PkiCopyOptions = {}): void {
  copyPkiInto(folder, pki, options);
  const crlArgs = options.withCrl === true ? ['-r', 'ca.crl'] : [];
  const imported = folder.run('certImport.sh', [
    '-c',
    'ca.crt',
    '-s',
    'server.crt',
    '-k',
    'server.key',
    ...crlArgs,
    '--password-file',
    folder.passwordFile(pki.password),
  ]);
  assert.equal(imported.status, 0, imported.stderr);
}
