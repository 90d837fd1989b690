// The import stage: check the operator's files, get the password, then stage copies,
// keystore and config beside their targets and commit them together, or roll all back.
import { revokedCountOf } from '../pki/index.js';
import { constants, promises as fsp } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import {
  assertConfigFitsEngine,
  loadConfigFile,
  NEW_CONFIG_MODE,
  readFrontConfig,
  realTarget,
  setConfigItems,
  type ParsedConfig,
} from '../config/index.js';
import { StreamfrontError, isStreamfrontError } from '../errors/error.js';
import { fsyncDirectory, tempPathFor, writeTempFile } from '../fs/atomic-write.js';
import { freeSpaceHint, noSpaceReason } from '../fs/no-space.js';
import {
  Keystore,
  keystorePathsIn,
  loadOperatorSecret,
  type KeystoreOptions,
  type KeystorePaths,
} from '../kmc/index.js';
import {
  KEYS_DIR_NAME,
  SERVER_KEY_MM_ITEM,
  checkCertificates,
  checkMaterial,
  readMaterialFiles,
  sha256Hex,
  type CheckedCertificates,
  type MaterialFiles,
  type MaterialPaths,
  type TlsMaterial,
} from '../material/load.js';
import { writeAuditRecord, type AuditedFile } from './audit.js';
import { inspectKeysDir, type ImportedFileName } from './keys-dir.js';
import { STAGING_PREFIX, acquireImportLock, journalPath, removeJournal, sha256Text, writeJournal } from './journal.js';
import { recoverInterruptedImport } from './recover.js';
import { readPassword, type PasswordIo, type PasswordSource } from './password.js';

export interface ImportRequest {
  readonly runDir: string;
  readonly configPath: string;
  readonly inputs: MaterialPaths;
  /** How the operator spelled the inputs, for messages (default: the paths themselves). */
  readonly inputLabels?: Partial<MaterialPaths>;
  readonly passwordSource: PasswordSource;
  readonly passwordIo: PasswordIo;
  readonly env: NodeJS.ProcessEnv;
  readonly now: Date;
  /** Human progress lines (stdout for the CLI). */
  readonly progress: (line: string) => void;
  readonly log?: KeystoreOptions['log'];
  /** Where the audit record goes (default: stderr). */
  readonly auditDestination?: NodeJS.WritableStream | number;
  /**
   * Test seam: called after each step of the commit (a test injects a fault, or a child process
   * pauses there to be killed with SIGKILL). Production passes nothing: a named no-op runs.
   */
  readonly reachStep?: (step: ImportStep) => Promise<void> | void;
}

/** The commit's steps, in order; `linked:<name>` once per file linked into keys/. */
export type ImportStep =
  | 'staged'
  | 'journal-written'
  | 'config-temp-written'
  | `linked:${ImportedFileName}`
  | 'keystore-saved'
  | 'config-renamed';

const noStep = (): void => undefined;

/** A release that may be reached from both the success path and the roll-back. */
function onceOnly(release: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= release());
}

export interface ImportResult {
  readonly material: TlsMaterial;
  readonly keysDir: string;
  readonly configPath: string;
  readonly keystoreCreated: boolean;
  readonly copied: readonly string[];
}

const TARGET_NAMES: Readonly<Record<keyof MaterialPaths, ImportedFileName>> = {
  ca: 'ca.crt',
  serverCert: 'server.crt',
  serverKey: 'server.key',
  crl: 'ca.crl',
};

/** Imported copies are read-only for their owner, as the engine expects (mode 400). */
const COPY_MODE = 0o400;
const KEYS_DIR_MODE = 0o700;

function auditedFiles(files: MaterialFiles | undefined, certs: CheckedCertificates | undefined): AuditedFile[] {
  if (files === undefined) return [];
  const list: AuditedFile[] = [
    { role: 'ca', path: files.ca.label, sha256: sha256Hex(files.ca.bytes), subject: certs?.ca.subject },
    {
      role: 'server-cert',
      path: files.serverCert.label,
      sha256: sha256Hex(files.serverCert.bytes),
      subject: certs?.serverCert.subject,
    },
    { role: 'server-key', path: files.serverKey.label, sha256: sha256Hex(files.serverKey.bytes) },
  ];
  if (files.crl !== undefined)
    list.push({ role: 'crl', path: files.crl.label, sha256: sha256Hex(files.crl.bytes), subject: certs?.crl?.issuer });
  return list;
}

function daysLeft(until: Date, now: Date): number {
  return Math.floor((until.getTime() - now.getTime()) / 86_400_000);
}

/**
 * The config as the front reads it (config/load.ts: the same refusals and wording), plus its mode
 * for the rewrite. A missing file has its own code here: the import names the file to copy.
 */
async function readConfigForImport(configPath: string): Promise<{ text: string; parsed: ParsedConfig; mode: number }> {
  const stat = await fsp.stat(configPath).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') return undefined; // loadConfigFile below refuses it with the reason
    throw new StreamfrontError('IMPORT_CONFIG_MISSING', 'config file not found', {
      file: configPath,
      hint: 'copy the shipped config/streamserver.conf there, or name another with --config F',
    });
  });
  const loaded = await loadConfigFile(configPath);
  return { ...loaded, mode: (stat?.mode ?? NEW_CONFIG_MODE) & 0o777 };
}

/** Undo log for the commit: every step registers how to take itself back. */
class Rollback {
  private readonly steps: Array<() => Promise<unknown>> = [];
  add(step: () => Promise<unknown>): void {
    this.steps.push(step);
  }
  async run(): Promise<void> {
    for (const step of this.steps.reverse()) await step().catch(() => undefined);
  }
}

export async function importMaterial(request: ImportRequest): Promise<ImportResult> {
  let files: MaterialFiles | undefined;
  let certs: CheckedCertificates | undefined;
  try {
    const result = await runImport(request, (f, c) => {
      files = f;
      certs = c;
    });
    writeAuditRecord(
      { outcome: 'imported', configPath: request.configPath, files: auditedFiles(files, certs) },
      request.auditDestination,
    );
    return result;
  } catch (err) {
    writeAuditRecord(
      {
        outcome: 'refused',
        code: isStreamfrontError(err) ? err.code : 'INTERNAL',
        reason: isStreamfrontError(err) ? err.message : 'unexpected error',
        configPath: request.configPath,
        files: auditedFiles(files, certs),
      },
      request.auditDestination,
    );
    throw err;
  }
}

/** The roles this import copies: the CRL only when one was given. */
type Role = keyof MaterialPaths;

/** The keystore that will hold server_key_mm, opened (reused) or new (saved at commit). */
interface ImportKeystore {
  readonly keystore: Keystore;
  readonly paths: KeystorePaths;
  readonly exists: boolean;
}

/** A killed import is finished first (back or forward), so its files neither occupy keys/ nor linger. */
async function finishInterruptedImport(
  keysDir: string,
  runDir: string,
  progress: ImportRequest['progress'],
): Promise<void> {
  const recovered = await recoverInterruptedImport(keysDir);
  if (recovered.action === 'busy') {
    throw new StreamfrontError('IMPORT_IN_PROGRESS', 'another import is running in this keys/ folder', {
      file: `${relative(runDir, keysDir) || keysDir}/`,
      hint: 'wait for it to finish, then run the import again',
    });
  }
  if (recovered.action === 'rolled-back' || recovered.action === 'rolled-forward') {
    progress(
      `an interrupted import was ${recovered.action === 'rolled-back' ? 'rolled back' : 'completed'} first (${recovered.removed.length} leftover files removed)`,
    );
  }
}

/** Reads and checks the operator's files, saying what each is; `seen` feeds the audit record. */
async function checkInputFiles(
  request: ImportRequest,
  seen: (files: MaterialFiles, certs?: CheckedCertificates) => void,
): Promise<{ files: MaterialFiles; certs: CheckedCertificates }> {
  const { progress, now } = request;
  const files = await readMaterialFiles(request.inputs, request.inputLabels);
  seen(files);
  const certs = checkCertificates(files, now);
  seen(files, certs);
  progress(
    `CA certificate      ${files.ca.label}: ${certs.ca.subject}, valid for ${daysLeft(certs.ca.notAfter, now)} more days`,
  );
  // A bundle's further CAs, each on its own line, so the operator sees what will be trusted.
  for (const [i, ca] of certs.caBundle.entries()) {
    if (i === 0) continue;
    progress(
      `  + CA ${i + 1} of ${certs.caBundle.length}        ${ca.subject}, valid for ${daysLeft(ca.notAfter, now)} more days`,
    );
  }
  progress(
    `server certificate  ${files.serverCert.label}: ${certs.serverCert.subject}, valid for ${daysLeft(certs.serverCert.notAfter, now)} more days`,
  );
  if (certs.crl !== undefined && files.crl !== undefined) {
    const next =
      certs.crl.nextUpdate === undefined ? 'no next update' : `next update ${certs.crl.nextUpdate.toISOString()}`;
    progress(`CRL                 ${files.crl.label}: ${revokedCountOf(certs.crl)} revoked, ${next}`);
  }
  for (const warning of certs.warnings) progress(`warning: ${warning.message}; ${warning.hint}`);
  return { files, certs };
}

/** The key's password, asked only once the certificates passed, and proven on the key. */
async function readKeyPassword(
  request: ImportRequest,
  files: MaterialFiles,
  certs: CheckedCertificates,
): Promise<string> {
  const password = await readPassword(request.passwordSource, request.passwordIo);
  checkMaterial(files, certs, password);
  request.progress(`server key          ${files.serverKey.label}: decrypts and matches the server certificate`);
  return password;
}

/** The keystore of this run folder if there is one (the config's server_key_mm anchors it), else a new one. */
async function openImportKeystore(
  request: ImportRequest,
  keysDir: string,
  isKeysDirPresent: boolean,
  serverKeyMm: string,
): Promise<ImportKeystore> {
  const paths = keystorePathsIn(keysDir);
  const operatorSecret = await loadOperatorSecret(request.env);
  const exists = isKeysDirPresent && (await Keystore.exists(paths));
  const keystore = exists
    ? await Keystore.open(paths, {
        operatorSecret,
        log: request.log,
        anchor: { ciphertext: serverKeyMm, item: SERVER_KEY_MM_ITEM },
      })
    : Keystore.create({ operatorSecret, log: request.log });
  return { keystore, paths, exists };
}

/** The config text after the import: the keys/ copies and the new server_key_mm. */
function buildImportedConfig(
  configText: string,
  roles: readonly Role[],
  ciphertext: string,
  configPath: string,
): string {
  const relativeTargets = Object.fromEntries(
    roles.map((role) => [role, `${KEYS_DIR_NAME}/${TARGET_NAMES[role]}`]),
  ) as Partial<MaterialPaths>;
  const text = setConfigItems(configText, {
    ca_crt: relativeTargets.ca ?? '',
    server_crt: relativeTargets.serverCert ?? '',
    server_key: relativeTargets.serverKey ?? '',
    crl: relativeTargets.crl ?? '',
    server_key_mm: ciphertext,
  });
  // Before anything is staged: a config the native reader would refuse is not written at all.
  assertConfigFitsEngine(text, configPath);
  return text;
}

/**
 * The file the commit is writing now, as the operator will know it (keys/ca.crl, not the hidden
 * staging copy): an OS error on a file handle carries no path, and a full disk must name one.
 */
interface Writing {
  file: string;
}

/** Exact copies in the staging folder, created read-only from the start and flushed to disk. */
async function stageCopies(
  stagingDir: string,
  files: MaterialFiles,
  roles: readonly Role[],
  writing: Writing,
): Promise<Partial<Record<Role, string>>> {
  const staged: Partial<Record<Role, string>> = {};
  for (const role of roles) {
    const source =
      role === 'ca'
        ? files.ca
        : role === 'serverCert'
          ? files.serverCert
          : role === 'serverKey'
            ? files.serverKey
            : files.crl;
    if (source === undefined) continue;
    const path = join(stagingDir, TARGET_NAMES[role]);
    writing.file = join(dirname(stagingDir), TARGET_NAMES[role]);
    const handle = await fsp.open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, COPY_MODE);
    try {
      await handle.writeFile(source.bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    staged[role] = path;
  }
  return staged;
}

/** A staged copy that differs from what was checked (a disk fault, a writer racing us) stops the import. */
export function assertSameBytes(checked: MaterialFiles, staged: MaterialFiles): void {
  for (const role of Object.keys(TARGET_NAMES) as Role[]) {
    const a = checked[role];
    const b = staged[role];
    if (a !== undefined && b !== undefined && !a.bytes.equals(b.bytes)) {
      throw new Error(`the staged copy ${TARGET_NAMES[role]} differs from the file that was checked`);
    }
  }
}

/** What the commit changes, all decided before the first write. */
interface CommitPlan {
  readonly keysDir: string;
  readonly isKeysDirCreated: boolean;
  readonly stagingDir: string;
  readonly staged: Partial<Record<Role, string>>;
  readonly roles: readonly Role[];
  readonly configPath: string;
  readonly configMode: number;
  readonly newConfigText: string;
  readonly store: ImportKeystore;
}

/**
 * The transaction of docs/import.md: journal, config temp file, links into keys/, keystore, then
 * the config rename, which is the commit point (`onCommitted` is called right after it). Every
 * step before it registers its undo in `rollback`. Returns the copies now in keys/.
 */
async function commitStaged(
  plan: CommitPlan,
  rollback: Rollback,
  reachStep: NonNullable<ImportRequest['reachStep']>,
  onCommitted: () => void,
  writing: Writing,
): Promise<string[]> {
  const { keysDir, stagingDir, staged, roles, store } = plan;
  // The intent, durable before the first change anyone can see (docs/import.md: the transaction).
  // A symlinked config (a shared or mounted file) stays a link: the file it points to is replaced.
  const configTarget = await realTarget(plan.configPath);
  const configTemp = tempPathFor(configTarget);
  rollback.add(() => removeJournal(keysDir));
  writing.file = journalPath(keysDir);
  await writeJournal(keysDir, {
    version: 1,
    pid: process.pid,
    stagingName: basename(stagingDir),
    files: roles.map((role) => TARGET_NAMES[role]),
    isKeysDirCreated: plan.isKeysDirCreated,
    isKeystoreCreated: !store.exists,
    configTarget,
    configTemp,
    newConfigSha256: sha256Text(plan.newConfigText),
  });
  await reachStep('journal-written');
  rollback.add(() => fsp.rm(configTemp, { force: true }));
  writing.file = configTarget;
  await writeTempFile(configTarget, plan.newConfigText, { mode: plan.configMode, tempPath: configTemp });
  await reachStep('config-temp-written');

  // Commit: link() refuses to replace a file that appeared since the check.
  const copied: string[] = [];
  for (const role of roles) {
    const from = staged[role];
    if (from === undefined) continue;
    const to = join(keysDir, TARGET_NAMES[role]);
    writing.file = to;
    await fsp.link(from, to);
    rollback.add(() => fsp.unlink(to));
    copied.push(to);
    await reachStep(`linked:${TARGET_NAMES[role]}`);
  }
  if (!store.exists) {
    rollback.add(() =>
      Promise.all([fsp.rm(store.paths.primary, { force: true }), fsp.rm(store.paths.standby, { force: true })]),
    );
    writing.file = store.paths.primary;
    await store.keystore.save(store.paths);
    await reachStep('keystore-saved');
  }
  // The commit point: from here on the import is done, whatever happens to the clean-up below.
  writing.file = configTarget;
  await fsp.rename(configTemp, configTarget);
  onCommitted();
  await fsyncDirectory(dirname(configTarget));
  await reachStep('config-renamed');
  try {
    await fsp.rm(stagingDir, { recursive: true, force: true });
    await removeJournal(keysDir);
  } catch {
    // The journal stays; the next import or start finishes the clean-up (it rolls forward).
  }
  return copied;
}

async function runImport(
  request: ImportRequest,
  seen: (files: MaterialFiles, certs?: CheckedCertificates) => void,
): Promise<ImportResult> {
  const { runDir, configPath, progress } = request;
  const keysDir = join(runDir, KEYS_DIR_NAME);
  const reachStep = request.reachStep ?? noStep;
  await finishInterruptedImport(keysDir, runDir, progress);

  // Everything that can refuse is checked before anything is written.
  const keysState = await inspectKeysDir(keysDir, runDir);
  const config = await readConfigForImport(configPath);
  const frontConfig = readFrontConfig(config.parsed);
  const { files, certs } = await checkInputFiles(request, seen);
  const password = await readKeyPassword(request, files, certs);
  const store = await openImportKeystore(request, keysDir, keysState.exists, frontConfig.serverKeyMm);
  const ciphertext = store.keystore.encrypt(password, SERVER_KEY_MM_ITEM, frontConfig.sdpAlgorithmId);
  const roles = (Object.keys(TARGET_NAMES) as Role[]).filter((role) => role !== 'crl' || files.crl !== undefined);
  const newConfigText = buildImportedConfig(config.text, roles, ciphertext, configPath);

  const rollback = new Rollback();
  let isCommitted = false;
  const writing: Writing = { file: keysDir };
  try {
    if (!keysState.exists) {
      await fsp.mkdir(keysDir, { mode: KEYS_DIR_MODE });
      rollback.add(() => fsp.rmdir(keysDir));
    }
    // Held to the end: recovery (the next import, a start) never touches a live import's files.
    const releaseLock = onceOnly(await acquireImportLock(keysDir));
    rollback.add(releaseLock);
    const stagingDir = await fsp.mkdtemp(join(keysDir, STAGING_PREFIX));
    rollback.add(() => fsp.rm(stagingDir, { recursive: true, force: true }));

    const staged = await stageCopies(stagingDir, files, roles, writing);
    // The staged copies are read back under the loader's file rules and must be the bytes that
    // were checked: the certificate verdict is a pure function of bytes and time, so it is reused
    // rather than computed again (a second parse of a 1M-entry CRL cost ~0.5 s and 100 MB).
    const stagedFiles = await readMaterialFiles(staged as MaterialPaths);
    assertSameBytes(files, stagedFiles);
    const material = checkMaterial(stagedFiles, certs, password);
    await reachStep('staged');

    const plan: CommitPlan = {
      keysDir,
      isKeysDirCreated: !keysState.exists,
      stagingDir,
      staged,
      roles,
      configPath,
      configMode: config.mode,
      newConfigText,
      store,
    };
    const copied = await commitStaged(
      plan,
      rollback,
      reachStep,
      () => {
        isCommitted = true;
      },
      writing,
    );
    await releaseLock();

    progress(
      `copied into ${relative(runDir, keysDir) || keysDir}/: ${roles.map((r) => TARGET_NAMES[r]).join(', ')} (mode 0400)`,
    );
    progress(
      `keystore            ${relative(runDir, store.paths.primary)} + ${relative(runDir, store.paths.standby)} (${store.exists ? 'reused' : 'created'})`,
    );
    progress(`config              ${configPath}: ca_crt, server_crt, server_key, crl, server_key_mm recorded`);
    return { material, keysDir, configPath, keystoreCreated: !store.exists, copied };
  } catch (err) {
    if (isCommitted) throw err;
    await rollback.run();
    const noSpace = noSpaceReason(err);
    if (noSpace !== undefined) {
      // The keystore names its own file; every other write is the one `writing` recorded.
      const file = (isStreamfrontError(err) ? err.file : undefined) ?? writing.file;
      throw new StreamfrontError('IMPORT_NO_SPACE', `${noSpace} while writing it; the import changed nothing`, {
        file,
        hint: `${freeSpaceHint(file)}, then run the import again`,
        cause: err,
      });
    }
    if (isStreamfrontError(err)) throw err;
    throw new StreamfrontError(
      'IMPORT_COMMIT_FAILED',
      `writing the import failed (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); nothing was changed`,
      {
        file: configPath,
        hint: 'check free space and permissions of keys/ and the config folder, then run the import again',
        cause: err,
      },
    );
  }
}
