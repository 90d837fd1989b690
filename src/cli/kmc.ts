#!/usr/bin/env node
// The kmc command: inspect the keystore and maintain it (init, rotate, rewrap server_key_mm,
// retire unreferenced keys). Every argument is checked before anything is read or written.
import { realpathSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfigFile, resolveConfigPath, runFolderOf, setConfigItems, writeConfigAtomic } from '../config/index.js';
import { StreamfrontError } from '../errors/error.js';
import { parseArgsError, reportFatal, usageError } from './report.js';
import {
  Keystore,
  hasCiphertextPrefix,
  inspectCiphertext,
  keystorePathsIn,
  loadOperatorSecret,
  type KeystoreAnchor,
  type KeystoreOptions,
} from '../kmc/index.js';

const ITEM = 'server_key_mm';

export const KMC_USAGE = `Usage: npm run kmc -- <verb> [options]
       (or: <install>/kmc.sh <verb> [options], the same without npm)

Inspect and maintain the KMC keystore (keys/kmc.ks and its standby copy keys/StandbyKsf.ks).
Run from the run folder; key bytes and passwords are never printed.

Verbs:
  status               show both copies, the generation and every master key (id, state, dates);
                       read-only: a copy that needs repair is named, never rewritten
  init                 create a new keystore; refused when one exists
  rotate               add a new active master key; the old one becomes decrypt-only
  rewrap               re-encrypt server_key_mm in the config under the active master key
  retire               retire decrypt-only keys that no ciphertext in the config references

Options:
  --keys DIR           keystore folder (default: keys/ in the config's run folder, the folder
                       above its config/ folder; with the default config, the current folder)
  --config FILE        config (default: $MX_SDK_HOME/config/streamserver.conf when MX_SDK_HOME
                       is set, else config/streamserver.conf); required by rewrap/retire. Its
                       server_key_mm tells which keystore copy belongs here: a copy that cannot
                       decrypt it is foreign, never used and never written over
  -h, --help           show this help

Operator secret: when the keystore was made with one, supply it with
STREAMFRONT_KMC_SECRET_FILE=<file> or the systemd credential streamfront-kmc-secret.

Exit codes:
  0  done
  1  refused (missing/damaged keystore, wrong secret, locked, ...): one line on stderr says why and how to fix
  2  usage error

Examples:
  npm run kmc -- status
  npm run kmc -- rotate && npm run kmc -- rewrap --config config/streamserver.conf
  npm run kmc -- retire --config config/streamserver.conf
  STREAMFRONT_KMC_SECRET_FILE=/etc/streamfront/kmc-secret npm run kmc -- init`;

const VERBS = ['status', 'init', 'rotate', 'rewrap', 'retire'] as const;
type Verb = (typeof VERBS)[number];

interface KmcArgs {
  readonly verb: Verb | 'help';
  readonly keysDir: string;
  readonly config: string | undefined;
}

const USAGE_HINT = 'run npm run kmc -- --help';

function usage(message: string): StreamfrontError {
  return usageError(message, USAGE_HINT);
}

export function parseKmcArgs(argv: readonly string[], cwd: string): KmcArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: { keys: { type: 'string' }, config: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (err) {
    throw parseArgsError(err, USAGE_HINT);
  }
  const { values, positionals } = parsed;
  if (values.help === true) return { verb: 'help', keysDir: cwd, config: undefined };
  if (positionals.length !== 1)
    throw usage(
      positionals.length === 0
        ? 'missing verb; verbs are status, init, rotate, rewrap, retire'
        : `expected one verb, got ${positionals.length}`,
    );
  const verb = positionals[0] as string;
  if (!(VERBS as readonly string[]).includes(verb))
    throw usage(`invalid verb '${verb}'; verbs are ${VERBS.join(', ')}`);
  if (values.keys === '' || values.config === '') throw usage('--keys and --config need a non-empty value');
  if (values.config !== undefined && verb === 'init')
    throw usage('--config is for status, rotate, rewrap and retire, not init');
  // keys/ belongs to the config's run folder (the folder above its config/), as for run.sh.
  const defaultKeys = join(
    runFolderOf(
      resolveConfigPath({
        ...(values.config === undefined ? {} : { explicit: values.config }),
        env: process.env,
        runDir: cwd,
      }),
    ),
    'keys',
  );
  return {
    verb: verb as Verb,
    keysDir: values.keys === undefined ? defaultKeys : resolve(cwd, values.keys),
    config: values.config,
  };
}

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

function keystoreOptions(secret: Buffer | undefined): KeystoreOptions {
  return {
    operatorSecret: secret,
    log: (level, msg) => process.stderr.write(`kmc: ${level === 'warn' ? 'warning' : 'info'}: ${msg}\n`),
  };
}

/**
 * The config's server_key_mm, when the config can be found: it tells which keystore copy belongs
 * to this run folder. Without one (a keystore made by init, no import yet) there is no anchor.
 */
async function readAnchor(args: KmcArgs, cwd: string): Promise<KeystoreAnchor | undefined> {
  const file = configPath(args, cwd);
  if (args.config === undefined && !(await isFile(file))) return undefined;
  const { parsed } = await loadConfigFile(file);
  const ciphertext = parsed.items.get(ITEM)?.value ?? '';
  return hasCiphertextPrefix(ciphertext) ? { ciphertext, item: ITEM } : undefined;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function runStatus(args: KmcArgs, options: KeystoreOptions, cwd: string): Promise<void> {
  // status only looks: a copy that needs repair is reported, never rewritten.
  const ks = await Keystore.open(keystorePathsIn(args.keysDir), {
    ...options,
    anchor: await readAnchor(args, cwd),
    isRepairAllowed: false,
  });
  const s = ks.status();
  const now = Date.now();
  for (const c of ks.copies) {
    const note =
      c.reason === undefined || c.state === 'good'
        ? ''
        : ` (${c.reason}; not repaired: status writes nothing, the next start of the front repairs it)`;
    out(`copy ${c.file}: ${c.state}${c.generation === undefined ? '' : `, generation ${c.generation}`}${note}`);
  }
  out(`generation: ${s.generation}`);
  out(`operator secret: ${s.hasOperatorSecret ? 'required' : 'not used'}`);
  out('master keys:');
  for (const k of s.masterKeys) {
    const expired = Date.parse(k.expires) < now ? ' (expired: run rotate, then rewrap)' : '';
    out(`  id ${k.id}  ${k.state.padEnd(12)}  created ${k.created}  expires ${k.expires}${expired}`);
  }
}

async function runInit(args: KmcArgs, options: KeystoreOptions): Promise<void> {
  const paths = keystorePathsIn(args.keysDir);
  if (await Keystore.exists(paths)) {
    throw new StreamfrontError(
      'KMC_KEYSTORE_EXISTS',
      'a keystore already exists; init would strand every ciphertext made with it',
      {
        file: paths.primary,
        hint: 'use npm run kmc -- status / rotate on the existing keystore',
      },
    );
  }
  await mkdir(args.keysDir, { recursive: true, mode: 0o700 });
  const ks = Keystore.create(options);
  await ks.save(paths);
  const [mk] = ks.status().masterKeys;
  out(
    `created ${paths.primary} and ${paths.standby} (generation ${ks.generation}, operator secret ${options.operatorSecret === undefined ? 'not used' : 'required'})`,
  );
  out(`master key ${String(mk?.id)} is active until ${String(mk?.expires)}`);
}

async function runRotate(args: KmcArgs, options: KeystoreOptions, cwd: string): Promise<void> {
  const paths = keystorePathsIn(args.keysDir);
  const ks = await Keystore.open(paths, { ...options, anchor: await readAnchor(args, cwd) });
  const previous = ks.status().masterKeys.find((k) => k.state === 'active');
  const mk = ks.rotate();
  await ks.save(paths);
  out(`master key ${mk.id} is now active (expires ${mk.expires}); key ${String(previous?.id)} is decrypt-only`);
  out(`next: npm run kmc -- rewrap, then npm run kmc -- retire`);
}

function configPath(args: KmcArgs, cwd: string): string {
  return resolveConfigPath({
    ...(args.config === undefined ? {} : { explicit: args.config }),
    env: process.env,
    runDir: cwd,
  });
}

async function runRewrap(args: KmcArgs, options: KeystoreOptions, cwd: string): Promise<void> {
  const file = configPath(args, cwd);
  const { text, parsed } = await loadConfigFile(file);
  const current = parsed.items.get(ITEM)?.value ?? '';
  if (current === '') {
    throw new StreamfrontError(
      'KMC_CONFIG_NO_CIPHERTEXT',
      `${ITEM} is missing or empty, so there is nothing to rewrap`,
      {
        file,
        item: ITEM,
        hint: 'run bash ./certImport.sh ... to import the key and protect its password',
      },
    );
  }
  const ks = await Keystore.open(keystorePathsIn(args.keysDir), {
    ...options,
    anchor: { ciphertext: current, item: ITEM },
  });
  const { keyId, algorithmId } = inspectCiphertext(current, ITEM);
  const plaintext = ks.decrypt(current, ITEM);
  const active = ks.status().masterKeys.find((k) => k.state === 'active');
  if (active?.id === keyId) {
    out(`${ITEM} is already under the active master key ${keyId}; nothing changed`);
    return;
  }
  const next = ks.encrypt(plaintext, ITEM, algorithmId);
  if (ks.decrypt(next, ITEM) !== plaintext) throw new Error('rewrapped value does not decrypt back');
  await writeConfigAtomic(file, setConfigItems(text, { [ITEM]: next }));
  out(`${ITEM} in ${file} rewrapped from master key ${keyId} to ${String(active?.id)}`);
}

async function runRetire(args: KmcArgs, options: KeystoreOptions, cwd: string): Promise<void> {
  const file = configPath(args, cwd);
  const { parsed } = await loadConfigFile(file);
  const inUse = new Set<number>();
  for (const [item, entry] of parsed.items) {
    for (const value of entry.values ?? [entry.value]) {
      if (hasCiphertextPrefix(value)) inUse.add(inspectCiphertext(value, item).keyId);
    }
  }
  const paths = keystorePathsIn(args.keysDir);
  const ks = await Keystore.open(paths, { ...options, anchor: await readAnchor(args, cwd) });
  const retired = ks.retireUnused(inUse);
  if (retired.length === 0) {
    out(`no decrypt-only key is unreferenced in ${file}; nothing retired`);
    return;
  }
  await ks.save(paths);
  out(
    `retired master key${retired.length === 1 ? '' : 's'} ${retired.join(', ')} (not referenced by ${file}); their bytes are destroyed`,
  );
}

export async function runKmc(argv: readonly string[], cwd: string): Promise<number> {
  let args: KmcArgs;
  try {
    args = parseKmcArgs(argv, cwd);
  } catch (err) {
    return reportFatal('kmc', err);
  }
  if (args.verb === 'help') {
    out(KMC_USAGE);
    return 0;
  }
  try {
    const options = keystoreOptions(await loadOperatorSecret(process.env));
    if (args.verb === 'status') await runStatus(args, options, cwd);
    if (args.verb === 'init') await runInit(args, options);
    if (args.verb === 'rotate') await runRotate(args, options, cwd);
    if (args.verb === 'rewrap') await runRewrap(args, options, cwd);
    if (args.verb === 'retire') await runRetire(args, options, cwd);
    return 0;
  } catch (err) {
    return reportFatal('kmc', err);
  }
}

/** A reader that stops early (`kmc status | head -1`) is not an error: stop writing, keep the exit code. */
function endQuietlyOnClosedPipe(err: NodeJS.ErrnoException): void {
  if (err.code !== 'EPIPE') throw err;
  process.exit(process.exitCode ?? 0);
}

// Run only as a command, not when imported by a test (npm run links bin files, hence realpath).
if (process.argv[1] !== undefined && realpathSync(resolve(process.argv[1])) === fileURLToPath(import.meta.url)) {
  process.stdout.on('error', endQuietlyOnClosedPipe);
  // `npm run kmc` starts the script in the package folder; the operator's folder is INIT_CWD then.
  // Only then: npm exports INIT_CWD to every process under any npm script (npm test included),
  // where it names wherever that npm was started, not this command's folder.
  const isNpmRunKmc = process.env['npm_lifecycle_event'] === 'kmc';
  process.exitCode = await runKmc(
    process.argv.slice(2),
    isNpmRunKmc ? (process.env['INIT_CWD'] ?? process.cwd()) : process.cwd(),
  );
}
