// The Keystore: root material and master keys in memory, encrypt/decrypt of config secrets,
// and the open (validate both copies, pick the winner, repair the other) / save (locked, crash-safe) cycle.
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { StreamfrontError, isStreamfrontError } from '../errors/error.js';
import { freeSpaceHint, noSpaceReason } from '../fs/no-space.js';
import { rethrowIfTransient } from '../fs/transient-read.js';
import { open as openSealed, seal } from './aead.js';
import {
  MAX_CIPHERTEXT_LENGTH,
  buildCiphertext,
  buildHeader,
  decodePlaintext,
  encodePlaintext,
  parseCiphertext,
} from './ciphertext.js';
import {
  buildHmac,
  buildSecretVerifier,
  deriveDataKey,
  deriveRootKeys,
  isHmacMatch,
  isSecretVerifierMatch,
  stretchOperatorSecret,
  type RootKeys,
} from './derive.js';
import { noWriteStep, readCopy, removeStaleTemps, writeCopy, type WriteStepHook } from './files.js';
import {
  KEYSTORE_FORMAT,
  KEYSTORE_VERSION,
  buildBodyText,
  buildKeystoreText,
  parseKeystoreText,
  type KeystoreBody,
  type MasterKeyRecord,
  type MasterKeyState,
  type OperatorSecretRecord,
} from './format.js';
import { acquireLock } from './lock.js';
import { lockPathFor, type KeystorePaths } from './paths.js';

/** A value the keystore of this run folder must decrypt: the config's server_key_mm. */
export interface KeystoreAnchor {
  readonly ciphertext: string;
  readonly item: string;
}

export interface KeystoreOptions {
  operatorSecret?: Buffer;
  log?: (level: 'warn' | 'info', msg: string, fields?: object) => void;
  now?: () => Date;
  /**
   * When given (and non-empty), a valid copy that cannot decrypt it is foreign (from another run
   * folder, say), not newer: it never wins over a copy that can, and is never a repair source.
   */
  anchor?: KeystoreAnchor | undefined;
  /** false: open() writes nothing; what a repair would rewrite is logged as such. Default true. */
  isRepairAllowed?: boolean;
}

export interface SaveOptions {
  /** Test seam: awaited after each write step (a crash test stops the writer there). */
  reachStep?: WriteStepHook;
}

export interface MasterKeyInfo {
  readonly id: number;
  readonly state: MasterKeyState;
  readonly created: string;
  readonly expires: string;
}

export type CopyState = 'good' | 'missing' | 'damaged' | 'secret-missing' | 'secret-wrong';

export interface CopyReport {
  readonly file: string;
  readonly state: CopyState;
  readonly generation?: number;
  readonly reason?: string;
}

export interface KeystoreStatus {
  readonly generation: number;
  readonly domain: number;
  readonly hasOperatorSecret: boolean;
  readonly masterKeys: MasterKeyInfo[];
}

export const MASTER_KEY_LIFETIME_DAYS = 180;
const DAY_MS = 24 * 60 * 60 * 1000;
const REPAIR_HINT =
  'restore keys/kmc.ks or keys/StandbyKsf.ks from a backup, or re-run the import (bash ./certImport.sh ...) to make a new keystore and ciphertext';

interface GoodCopy {
  readonly text: string;
  readonly body: KeystoreBody;
  readonly rootKeys: RootKeys;
  readonly stretched: Buffer | undefined;
  readonly unwrapped: Map<number, Buffer>;
}

type CopyVerdict =
  | { state: 'good'; copy: GoodCopy }
  | { state: Exclude<CopyState, 'good'>; generation?: number; reason: string };

function masterKeyAad(id: number): Buffer {
  return Buffer.from(`streamfront-kmc v1 master-key ${id}`, 'utf8');
}

function wrapMasterKey(rootKeys: RootKeys, id: number, key: Buffer): string {
  const s = seal(rootKeys.wrapKey, key, masterKeyAad(id));
  return [s.nonce, s.data, s.tag].map((b) => b.toString('base64url')).join('.');
}

function unwrapMasterKey(rootKeys: RootKeys, id: number, wrapped: string): Buffer | undefined {
  const parts = wrapped.split('.');
  if (parts.length !== 3) return undefined;
  const [nonce, data, tag] = parts.map((p) => Buffer.from(p, 'base64url')) as [Buffer, Buffer, Buffer];
  const key = openSealed(rootKeys.wrapKey, { nonce, data, tag }, masterKeyAad(id));
  return key?.length === 32 ? key : undefined;
}

/** Validates one copy fully: format, version, operator secret, HMAC, every live master key unwraps. */
function validateCopy(
  text: string | undefined,
  secret: Buffer | undefined,
  stretchCache: Map<string, Buffer>,
): CopyVerdict {
  if (text === undefined) return { state: 'missing', reason: 'file does not exist' };
  const parsed = parseKeystoreText(text);
  if (typeof parsed === 'string') return { state: 'damaged', reason: parsed };
  const { body } = parsed;
  let stretched: Buffer | undefined;
  if (body.operatorSecret !== null) {
    if (secret === undefined)
      return {
        state: 'secret-missing',
        generation: body.generation,
        reason: 'made with an operator secret, none supplied',
      };
    const salt = body.operatorSecret.salt;
    stretched = stretchCache.get(salt) ?? stretchOperatorSecret(secret, Buffer.from(salt, 'base64url'));
    stretchCache.set(salt, stretched);
    if (!isSecretVerifierMatch(stretched, Buffer.from(body.operatorSecret.verifier, 'base64url'))) {
      return {
        state: 'secret-wrong',
        generation: body.generation,
        reason: 'operator secret does not match the verifier',
      };
    }
  }
  const rootKeys = deriveRootKeys(Buffer.from(body.rootMaterial, 'base64url'), stretched);
  if (!isHmacMatch(rootKeys.hmacKey, parsed.bodyText, parsed.mac))
    return { state: 'damaged', generation: body.generation, reason: 'HMAC does not match the content' };
  const unwrapped = new Map<number, Buffer>();
  for (const mk of body.masterKeys) {
    if (mk.wrapped === null) continue;
    const key = unwrapMasterKey(rootKeys, mk.id, mk.wrapped);
    if (key === undefined)
      return { state: 'damaged', generation: body.generation, reason: `master key ${mk.id} does not unwrap` };
    unwrapped.set(mk.id, key);
  }
  return { state: 'good', copy: { text, body, rootKeys, stretched, unwrapped } };
}

function toWriteError(err: unknown, file: string): StreamfrontError {
  if (isStreamfrontError(err)) return err;
  const code = (err as NodeJS.ErrnoException).code ?? 'error';
  const noSpace = noSpaceReason(err);
  return new StreamfrontError('KMC_KEYSTORE_WRITE_FAILED', `cannot write the keystore (${noSpace ?? code})`, {
    file,
    hint:
      noSpace === undefined
        ? 'check free space and that keys/ is 0700 and owned by the service user, then retry'
        : `${freeSpaceHint(file)}, then retry`,
    cause: err,
  });
}

/**
 * A copy that exists but cannot be read (a folder in its place, no permission) is not damage the
 * other copy can repair: the rewrite would fail the same way. Say which file and why.
 */
async function readCopyOrExplain(file: string): Promise<string | undefined> {
  try {
    return await readCopy(file);
  } catch (err) {
    rethrowIfTransient(file, 'keystore copy', err);
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    const reason =
      code === 'EISDIR'
        ? 'is a folder, not a keystore file'
        : code === 'EACCES'
          ? 'is not readable by this user'
          : `cannot be read (${code})`;
    throw new StreamfrontError('KMC_KEYSTORE_DAMAGED', `keystore copy ${reason}`, {
      file,
      hint: `put the keystore file back at ${file} (or move what is there away, so the other copy can restore it)`,
      cause: err,
    });
  }
}

export class Keystore {
  private generationValue: number;
  private readonly domain: number;
  private readonly rootMaterial: Buffer;
  private readonly rootKeys: RootKeys;
  private readonly secretRecord: OperatorSecretRecord | null;
  private readonly masterKeys: MasterKeyRecord[];
  private readonly unwrapped: Map<number, Buffer>;
  private readonly now: () => Date;
  /** What open() found in each file before any repair (empty for a new keystore). */
  readonly copies: readonly CopyReport[];

  private constructor(init: {
    generation: number;
    domain: number;
    rootMaterial: Buffer;
    rootKeys: RootKeys;
    secretRecord: OperatorSecretRecord | null;
    masterKeys: MasterKeyRecord[];
    unwrapped: Map<number, Buffer>;
    options: KeystoreOptions;
    copies: CopyReport[];
  }) {
    this.generationValue = init.generation;
    this.domain = init.domain;
    this.rootMaterial = init.rootMaterial;
    this.rootKeys = init.rootKeys;
    this.secretRecord = init.secretRecord;
    this.masterKeys = init.masterKeys;
    this.unwrapped = init.unwrapped;
    this.now = init.options.now ?? (() => new Date());
    this.copies = init.copies;
  }

  /** A new keystore in memory (generation 0) with one active master key; save() writes it. */
  static create(options: KeystoreOptions): Keystore {
    const rootMaterial = randomBytes(32);
    let stretched: Buffer | undefined;
    let secretRecord: OperatorSecretRecord | null = null;
    if (options.operatorSecret !== undefined) {
      const salt = randomBytes(16);
      stretched = stretchOperatorSecret(options.operatorSecret, salt);
      secretRecord = {
        salt: salt.toString('base64url'),
        verifier: buildSecretVerifier(stretched).toString('base64url'),
      };
    }
    const ks = new Keystore({
      generation: 0,
      domain: 0,
      rootMaterial,
      rootKeys: deriveRootKeys(rootMaterial, stretched),
      secretRecord,
      masterKeys: [],
      unwrapped: new Map(),
      options,
      copies: [],
    });
    ks.addMasterKey();
    return ks;
  }

  static async exists(paths: KeystorePaths): Promise<boolean> {
    for (const file of [paths.primary, paths.standby]) {
      try {
        await fsp.lstat(file);
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return true;
      }
    }
    return false;
  }

  /** Validates both copies, uses the best, rewrites the other; never creates a keystore. */
  static async open(paths: KeystorePaths, options: KeystoreOptions): Promise<Keystore> {
    const log = options.log ?? (() => undefined);
    const texts = [await readCopyOrExplain(paths.primary), await readCopyOrExplain(paths.standby)];
    if (texts[0] === undefined && texts[1] === undefined) {
      throw new StreamfrontError(
        'KMC_KEYSTORE_MISSING',
        `neither ${paths.primary} nor ${paths.standby} exists; a new keystore is never made here because it would strand the existing ciphertext`,
        {
          file: paths.primary,
          hint: 're-run the import (bash ./certImport.sh ...) or, for a new installation, npm run kmc -- init',
        },
      );
    }
    const cache = new Map<string, Buffer>();
    const files = [paths.primary, paths.standby];
    const verdicts = texts.map((t) => validateCopy(t, options.operatorSecret, cache));
    const copies: CopyReport[] = verdicts.map((v, i) =>
      v.state === 'good'
        ? { file: files[i] as string, state: 'good', generation: v.copy.body.generation }
        : {
            file: files[i] as string,
            state: v.state,
            reason: v.reason,
            ...(v.generation === undefined ? {} : { generation: v.generation }),
          },
    );
    const goodCopies = verdicts.flatMap((v, i) =>
      v.state === 'good' ? [{ file: files[i] as string, copy: v.copy }] : [],
    );
    const choice = chooseWinner(goodCopies, options);
    const winner = choice?.copy;
    if (winner === undefined) {
      if (verdicts.some((v) => v.state === 'secret-missing')) {
        throw new StreamfrontError(
          'KMC_OPERATOR_SECRET_MISSING',
          'the keystore was created with an operator secret and none was supplied',
          {
            file: paths.primary,
            hint: 'set STREAMFRONT_KMC_SECRET_FILE to the secret file, or provide the systemd credential streamfront-kmc-secret',
          },
        );
      }
      if (verdicts.some((v) => v.state === 'secret-wrong')) {
        throw new StreamfrontError(
          'KMC_OPERATOR_SECRET_WRONG',
          'the operator secret does not match the one the keystore was created with',
          {
            file: paths.primary,
            hint: 'supply the original secret file through STREAMFRONT_KMC_SECRET_FILE or the systemd credential streamfront-kmc-secret',
          },
        );
      }
      const reasons = copies.map((c) => `${c.file}: ${c.reason ?? c.state}`).join('; ');
      throw new StreamfrontError(
        'KMC_KEYSTORE_DAMAGED',
        `both keystore copies are unusable (${reasons}); nothing was deleted`,
        {
          file: `${paths.primary}, ${paths.standby}`,
          hint: REPAIR_HINT,
        },
      );
    }
    const good = winner;
    for (const file of choice?.foreign ?? []) {
      log(
        'warn',
        `keystore copy ${file} cannot decrypt ${options.anchor?.item ?? 'the config value'} of this config: it belongs to another keystore and is left as it is; move it out of keys/`,
        {
          file,
        },
      );
    }
    // A foreign copy is never overwritten either: it may be the only copy of another keystore.
    const stale = files.filter((f, i) => texts[i] !== good.text && !(choice?.foreign ?? []).includes(f));
    if (stale.length > 0) {
      if (options.isRepairAllowed === false) reportWouldRepair(stale, copies, log);
      else await repairCopies(paths, good.text, stale, copies, log);
    }
    return Keystore.fromCopy(good, options, copies);
  }

  private static fromCopy(good: GoodCopy, options: KeystoreOptions, copies: CopyReport[]): Keystore {
    return new Keystore({
      generation: good.body.generation,
      domain: good.body.domain,
      rootMaterial: Buffer.from(good.body.rootMaterial, 'base64url'),
      rootKeys: good.rootKeys,
      secretRecord: good.body.operatorSecret,
      masterKeys: good.body.masterKeys.map((k) => ({ ...k })),
      unwrapped: good.unwrapped,
      options,
      copies,
    });
  }

  /** @internal True when this copy decrypts the anchor; any refusal (unknown key, tampered) says it does not. */
  static isAnchorDecryptable(copy: GoodCopy, anchor: KeystoreAnchor, options: KeystoreOptions): boolean {
    try {
      Keystore.fromCopy(copy, options, []).decrypt(anchor.ciphertext, anchor.item);
      return true;
    } catch {
      return false;
    }
  }

  get generation(): number {
    return this.generationValue;
  }

  status(): KeystoreStatus {
    return {
      generation: this.generationValue,
      domain: this.domain,
      hasOperatorSecret: this.secretRecord !== null,
      masterKeys: this.masterKeys.map(({ id, state, created, expires }) => ({ id, state, created, expires })),
    };
  }

  /** Adds a new active master key; the previous active one stays for decryption only. */
  rotate(): MasterKeyInfo {
    for (const k of this.masterKeys) if (k.state === 'active') k.state = 'decrypt-only';
    return this.addMasterKey();
  }

  /** Retires (destroys) decrypt-only keys whose id is not in inUse; returns the retired ids. */
  retireUnused(inUse: ReadonlySet<number>): number[] {
    const retired: number[] = [];
    for (const k of this.masterKeys) {
      if (k.state === 'decrypt-only' && !inUse.has(k.id)) {
        k.state = 'retired';
        k.wrapped = null;
        this.unwrapped.get(k.id)?.fill(0);
        this.unwrapped.delete(k.id);
        retired.push(k.id);
      }
    }
    return retired;
  }

  encrypt(plaintext: string, item: string, algorithmId: 8 | 9): string {
    checkItem(item);
    if (algorithmId !== 8 && algorithmId !== 9) {
      throw new StreamfrontError(
        'KMC_CIPHERTEXT_UNSUPPORTED',
        `algorithm id ${String(algorithmId)} is not 8 (AES-128-GCM) or 9 (AES-256-GCM)`,
        {
          item: 'sdp_algorithm_id',
          hint: 'set sdp_algorithm_id to 8 or 9',
        },
      );
    }
    const active = this.masterKeys.find((k) => k.state === 'active') as MasterKeyRecord;
    const masterKey = this.unwrapped.get(active.id) as Buffer;
    const salt = randomBytes(16);
    const header = buildHeader(this.domain, active.id, algorithmId);
    const sealed = seal(
      deriveDataKey(masterKey, salt, algorithmId),
      encodePlaintext(plaintext),
      buildAad(header, item),
    );
    const out = buildCiphertext({ domain: this.domain, keyId: active.id, algorithmId, salt, ...sealed });
    if (out.length > MAX_CIPHERTEXT_LENGTH) {
      throw new StreamfrontError(
        'KMC_PLAINTEXT_TOO_LONG',
        `the protected value would be ${out.length} characters, over the ${MAX_CIPHERTEXT_LENGTH} the config reader accepts`,
        {
          item,
          hint: 'use a password of at most 100 characters',
        },
      );
    }
    return out;
  }

  decrypt(ciphertext: string, item: string): string {
    checkItem(item);
    const f = parseCiphertext(ciphertext, item);
    const hint = `re-run the import (bash ./certImport.sh ...) so ${item} holds a fresh KMC ciphertext`;
    if (f.domain !== this.domain) {
      throw new StreamfrontError(
        'KMC_CIPHERTEXT_UNSUPPORTED',
        `ciphertext domain ${f.domain} is not this keystore's domain ${this.domain}`,
        { item, hint },
      );
    }
    const record = this.masterKeys.find((k) => k.id === f.keyId);
    if (record === undefined) {
      throw new StreamfrontError(
        'KMC_KEY_UNKNOWN',
        `ciphertext names master key ${f.keyId}, which this keystore does not hold (a different or older keystore?)`,
        { item, hint },
      );
    }
    const masterKey = this.unwrapped.get(f.keyId);
    if (record.state === 'retired' || masterKey === undefined) {
      throw new StreamfrontError('KMC_KEY_RETIRED', `ciphertext names master key ${f.keyId}, which has been retired`, {
        item,
        hint,
      });
    }
    const header = buildHeader(f.domain, f.keyId, f.algorithmId);
    const bytes = openSealed(deriveDataKey(masterKey, f.salt, f.algorithmId), f, buildAad(header, item));
    const text = bytes === undefined ? undefined : decodePlaintext(bytes);
    if (text === undefined) {
      throw new StreamfrontError(
        'KMC_CIPHERTEXT_TAMPERED',
        'ciphertext does not authenticate: it was altered, truncated, or made for another item',
        { item, hint },
      );
    }
    return text;
  }

  /** Writes both copies under the lock, in crash-safe order, then reads them back to verify. */
  async save(paths: KeystorePaths, options: SaveOptions = {}): Promise<void> {
    const reachStep = options.reachStep ?? noWriteStep;
    const release = await acquireLock(lockPathFor(paths));
    try {
      await reachStep('locked');
      await removeStaleTemps(paths);
      const onDisk = [await readCopy(paths.primary), await readCopy(paths.standby)];
      if (this.generationValue === 0 && onDisk.some((t) => t !== undefined)) {
        throw new StreamfrontError(
          'KMC_KEYSTORE_EXISTS',
          'a keystore already exists; a new one would strand every ciphertext made with it',
          {
            file: paths.primary,
            hint: 'use the existing keystore (npm run kmc -- status), or move both keystore files away first if you really mean to start over',
          },
        );
      }
      const diskGeneration = Math.max(0, ...onDisk.map(generationOf));
      if (diskGeneration > this.generationValue) {
        throw new StreamfrontError(
          'KMC_KEYSTORE_CHANGED',
          `the keystore on disk is at generation ${diskGeneration}, newer than ${this.generationValue} in memory`,
          {
            file: paths.primary,
            hint: 'another command changed the keystore; re-run this command',
          },
        );
      }
      const generation = Math.max(this.generationValue, diskGeneration) + 1;
      const text = this.buildText(generation);
      try {
        await writeCopy(paths.primary, text, 'primary', reachStep);
        await writeCopy(paths.standby, text, 'standby', reachStep);
      } catch (err) {
        throw toWriteError(err, paths.primary);
      }
      for (const file of [paths.primary, paths.standby]) {
        const back = await readCopy(file);
        if (back !== text || validateCopy(back, undefined, new Map()).state === 'damaged') {
          throw new StreamfrontError(
            'KMC_KEYSTORE_VERIFY_FAILED',
            'the keystore read back after writing differs from what was written',
            {
              file,
              hint: 'check the disk and file system for errors, then run npm run kmc -- status',
            },
          );
        }
      }
      this.generationValue = generation;
    } finally {
      await release();
    }
  }

  private addMasterKey(): MasterKeyInfo {
    const id = Math.max(0, ...this.masterKeys.map((k) => k.id)) + 1;
    const key = randomBytes(32);
    const created = this.now();
    const record: MasterKeyRecord = {
      id,
      state: 'active',
      created: created.toISOString(),
      expires: new Date(created.getTime() + MASTER_KEY_LIFETIME_DAYS * DAY_MS).toISOString(),
      wrapped: wrapMasterKey(this.rootKeys, id, key),
    };
    this.masterKeys.push(record);
    this.unwrapped.set(id, key);
    return { id, state: record.state, created: record.created, expires: record.expires };
  }

  private buildText(generation: number): string {
    const body: KeystoreBody = {
      format: KEYSTORE_FORMAT,
      version: KEYSTORE_VERSION,
      generation,
      domain: this.domain,
      written: this.now().toISOString(),
      rootMaterial: this.rootMaterial.toString('base64url'),
      operatorSecret: this.secretRecord,
      masterKeys: this.masterKeys,
    };
    const bodyText = buildBodyText(body);
    return buildKeystoreText(bodyText, buildHmac(this.rootKeys.hmacKey, bodyText));
  }
}

/** The generation a copy claims, unverified: enough to notice a newer writer, never trusted for keys. */
function generationOf(text: string | undefined): number {
  if (text === undefined) return 0;
  const parsed = parseKeystoreText(text);
  return typeof parsed === 'string' ? 0 : parsed.body.generation;
}

function buildAad(header: string, item: string): Buffer {
  return Buffer.from(`${header}\n${item}`, 'utf8');
}

function checkItem(item: string): void {
  if (!/^[\x21-\x7e]{1,128}$/.test(item)) {
    throw new StreamfrontError(
      'KMC_ITEM_INVALID',
      'the config item name a ciphertext is bound to must be 1-128 printable ASCII characters',
      {
        hint: 'pass the config item name, e.g. server_key_mm',
      },
    );
  }
}

/**
 * The copy to use: the highest generation among the valid copies, except that with an anchor a
 * copy that decrypts it beats any that does not (those are foreign). When no copy decrypts the
 * anchor, nothing tells which one belongs here: the generation decides, and no valid copy is
 * marked foreign (so none is rewritten over another valid one by mistake either).
 */
function chooseWinner(
  goodCopies: ReadonlyArray<{ file: string; copy: GoodCopy }>,
  options: KeystoreOptions,
): { copy: GoodCopy; foreign: string[] } | undefined {
  const newest = (list: ReadonlyArray<{ file: string; copy: GoodCopy }>): GoodCopy | undefined =>
    list.reduce<GoodCopy | undefined>(
      (best, c) => (best === undefined || c.copy.body.generation > best.body.generation ? c.copy : best),
      undefined,
    );
  const anchor = options.anchor;
  if (anchor === undefined || anchor.ciphertext === '' || goodCopies.length === 0) {
    const copy = newest(goodCopies);
    return copy === undefined ? undefined : { copy, foreign: [] };
  }
  const decrypting = goodCopies.filter((c) => Keystore.isAnchorDecryptable(c.copy, anchor, options));
  if (decrypting.length === 0) {
    const copy = newest(goodCopies) as GoodCopy;
    // Two valid copies that differ and neither fits the config: leave both for the operator.
    const isUnclear = new Set(goodCopies.map((c) => c.copy.text)).size > 1;
    return { copy, foreign: isUnclear ? goodCopies.map((c) => c.file) : [] };
  }
  return {
    copy: newest(decrypting) as GoodCopy,
    foreign: goodCopies.filter((c) => !decrypting.includes(c)).map((c) => c.file),
  };
}

/** Read-only open: says what a repair would rewrite, writes nothing. */
function reportWouldRepair(
  stale: readonly string[],
  copies: readonly CopyReport[],
  log: NonNullable<KeystoreOptions['log']>,
): void {
  for (const file of stale) {
    const report = copies.find((c) => c.file === file);
    const why =
      report?.state === 'good'
        ? `behind (generation ${String(report.generation)})`
        : `${report?.state ?? 'bad'} (${report?.reason ?? 'unknown'})`;
    log('warn', `keystore copy ${file} is ${why}; a repair would rewrite it from the good copy (not done: read-only)`, {
      file,
      wouldRepair: true,
    });
  }
}

/** Rewrites stale or damaged copies with the winner's exact text; a failed repair is only a warning. */
async function repairCopies(
  paths: KeystorePaths,
  text: string,
  stale: string[],
  copies: CopyReport[],
  log: NonNullable<KeystoreOptions['log']>,
): Promise<void> {
  let release: (() => Promise<void>) | undefined;
  try {
    release = await acquireLock(lockPathFor(paths));
    await removeStaleTemps(paths);
    for (const file of stale) {
      const report = copies.find((c) => c.file === file);
      log(
        'warn',
        `keystore copy ${file} was ${report?.state === 'good' ? 'behind' : (report?.state ?? 'bad')}; rewriting it from the good copy`,
        {
          file,
          reason: report?.reason ?? `generation ${String(report?.generation)}`,
        },
      );
      await writeCopy(file, text, file === paths.primary ? 'primary' : 'standby');
    }
  } catch (err) {
    log(
      'warn',
      `could not repair the keystore copies: ${isStreamfrontError(err) ? err.message : ((err as NodeJS.ErrnoException).code ?? 'error')}`,
      { files: stale },
    );
  } finally {
    await release?.();
  }
}
