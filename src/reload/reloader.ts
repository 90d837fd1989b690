// The reload loop: a change seen on disk (or SIGHUP) loads the whole set again through the one
// loader and either commits it to the front or keeps the last good set and says why.
//
// Half-done replacements (a certificate copied before its key, a file missing mid-copy, the
// import stage between linking the files and renaming the config) fail to load for a moment.
// They are not reported at once: a failed load after a file change is retried once the files
// have been quiet for settleMs, and only a failure that survives that wait is an operator
// error (log line, metric, stale gauge). SIGHUP is the operator asking: it reports at once.
//
// A file the config names that is missing (MATERIAL_FILE_MISSING) is what a rotation looks like
// between "move the old files away" and "the import linked the new ones": the loop waits for a
// consistent set (info log, /readyz says what is missing) and only reports it once it has lasted
// incompleteGraceMs (30 s), long past any import. SIGHUP still reports at once.
//
// A read that failed for a passing reason (out of descriptors or memory: MATERIAL_READ_TRANSIENT)
// says nothing about the files, and no file event will come when the shortage ends. It is never
// reported as a refusal: the load is retried with a doubling wait (capped) until it gets an answer.
import { join } from 'node:path';
import { CONFIG_ITEMS, type FrontConfig, type FrontConfigValues } from '../config/items.js';
import { resolveItemPath } from '../config/path.js';
import { StreamfrontError, errorLogFields } from '../errors/error.js';
import { buildTransientReadError, errnoOf, isTransientErrno } from '../fs/transient-read.js';
import { keystorePathsIn } from '../kmc/index.js';
import { KEYS_DIR_NAME, type TlsMaterial } from '../material/load.js';
import { MATERIAL_ROLES, revokedCountOf } from '../pki/index.js';
import type { LoadedSet } from './load-request.js';

export type ReloadTrigger = 'change' | 'signal' | 'settle' | 'retry';

/** The part of the front a reload drives. */
export interface ReloadTarget {
  readonly material: TlsMaterial;
  /** Throws (keeping the old material) when OpenSSL refuses the new set. */
  applyMaterial(next: TlsMaterial): void;
}

export interface ReloadMetrics {
  countReloadFailure(material: string, reason: string): void;
  countReloadApplied(): void;
  setLastGoodLoad(unixSeconds: number): void;
  setStaleMaterial(isStale: boolean): void;
  setMaterialExpiry(kind: 'server_cert' | 'ca' | 'crl_next_update', at: Date | undefined): void;
}

export interface ReloadLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ReloadFailure {
  readonly at: Date;
  readonly material: string;
  readonly code: string;
  readonly file?: string | undefined;
  readonly reason: string;
}

/** A load that has no answer yet and is being retried: not a refusal, the files may be fine. */
export interface ReloadPending {
  readonly since: Date;
  readonly code: string;
  readonly file?: string | undefined;
  readonly reason: string;
  readonly nextAttemptInMs: number;
}

export interface ReloadStatus {
  /** True when the files on disk changed but could not be loaded: older material serves. */
  readonly isStale: boolean;
  readonly lastGoodLoadAt: Date;
  readonly lastFailure?: ReloadFailure | undefined;
  readonly pending?: ReloadPending | undefined;
}

/** How long a set with a missing file is a rotation in progress before it is reported as a failure. */
export const INCOMPLETE_SET_GRACE_MS = 30_000;

/** Waits between loads retried after a transient read failure: 0.25 s, doubling, at most 5 s. */
export const TRANSIENT_RETRY = { firstMs: 250, maxMs: 5_000 } as const;

export interface MaterialReloaderOptions {
  readonly config: FrontConfig;
  readonly configPath: string;
  readonly runDir: string;
  readonly front: ReloadTarget;
  readonly load: (now: Date) => Promise<LoadedSet>;
  readonly metrics: ReloadMetrics;
  readonly logger: ReloadLogger;
  /** Quiet time before a failed load after a file change counts as a real failure. */
  readonly settleMs: number;
  /** Told the files to watch at start and whenever the config names other files. */
  readonly onWatchPaths?: (paths: readonly string[]) => void;
  /** How long a missing file is waited for before it counts as a failure (default INCOMPLETE_SET_GRACE_MS). */
  readonly incompleteGraceMs?: number;
  /** Backoff after a transient read failure (default TRANSIENT_RETRY). */
  readonly transientRetry?: { readonly firstMs: number; readonly maxMs: number };
}

/** The items a reload applies; every other item is read at start only. */
const MATERIAL_ITEMS = new Set<keyof FrontConfigValues>(['caCrt', 'serverCrt', 'serverKey', 'crl', 'serverKeyMm']);

/** The config file, every file it names, and the keystores that decrypt server_key_mm. */
export function watchedPathsOf(config: FrontConfig, configPath: string, runDir: string): string[] {
  const keystores = keystorePathsIn(join(runDir, KEYS_DIR_NAME));
  const named = [config.caCrt, config.serverCrt, config.serverKey, config.crl]
    .filter((v) => v !== '')
    .map((v) => resolveItemPath(runDir, v));
  return [...new Set([configPath, ...named, keystores.primary, keystores.standby])];
}

/** Which material a failure is about, for the metric label: the file it names, else its code. */
export function materialOfFailure(err: StreamfrontError, config: FrontConfig, configPath: string): string {
  const byLabel: Record<string, string> = {
    [config.caCrt]: 'ca',
    [config.serverCrt]: 'server_cert',
    [config.serverKey]: 'server_key',
  };
  if (config.crl !== '') byLabel[config.crl] = 'crl';
  // The key file is fine; what it was opened with (server_key_mm) is not.
  if (err.code === 'PKI_KEY_BAD_PASSWORD' || err.code.startsWith('KMC_')) return 'password';
  if (err.file !== undefined) {
    const named = byLabel[err.file];
    if (named !== undefined) return named;
    if (err.file === configPath) return 'config';
  }
  if (err.code.startsWith('PKI_CRL_')) return 'crl';
  if (err.code.startsWith('PKI_KEY_')) return 'server_key';
  if (err.code.startsWith('CONFIG_')) return 'config';
  return 'set';
}

/** Every failure as a catalogued error; an OS shortage met outside the readers (a worker that cannot start) stays transient. */
function toReloadError(err: unknown, configPath: string): StreamfrontError {
  if (err instanceof StreamfrontError) return err;
  if (isTransientErrno(err) || errnoOf(err) === 'ERR_WORKER_INIT_FAILED')
    return buildTransientReadError(configPath, 'the material set', err);
  return new StreamfrontError(
    'MATERIAL_INVALID',
    `reload failed (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`,
  );
}

function changedRoles(serving: TlsMaterial, next: TlsMaterial): string[] {
  const changed: string[] = MATERIAL_ROLES.filter((role) => serving.fingerprints[role] !== next.fingerprints[role]);
  // Same key file, different decrypted key cannot happen; same files with a new password can.
  if (!changed.includes('server-key') && serving.keyPem !== next.keyPem) changed.push('server-key');
  return changed;
}

/** Config item names (as the file spells them) whose value differs from the one started with. */
function restartOnlyChanges(started: FrontConfig, next: FrontConfig): string[] {
  const keys = Object.keys(CONFIG_ITEMS) as (keyof FrontConfigValues)[];
  return keys.filter((k) => !MATERIAL_ITEMS.has(k) && started[k] !== next[k]).map((k) => CONFIG_ITEMS[k].item);
}

export class MaterialReloader {
  private isRunning = false;
  private queued: ReloadTrigger | undefined;
  /** The one pending look again: after the settle wait, or after a transient failure's backoff. */
  private retryTimer: NodeJS.Timeout | undefined;
  private transientDelayMs = 0;
  /** ms since epoch when the set was first seen with a file missing; undefined when it is not. */
  private incompleteSince: number | undefined;
  private pending: ReloadPending | undefined;
  private isClosed = false;
  private isStale = false;
  private lastGoodLoadAt = new Date();
  private lastFailure: ReloadFailure | undefined;
  private lastReportedKey = '';
  private lastRestartNotice = '';
  private config: FrontConfig;
  private watched = '';
  private readonly startedConfig: FrontConfig;

  constructor(private readonly options: MaterialReloaderOptions) {
    this.config = options.config;
    this.startedConfig = options.config;
    this.updateWatchPaths();
  }

  status(): ReloadStatus {
    return {
      isStale: this.isStale,
      lastGoodLoadAt: this.lastGoodLoadAt,
      lastFailure: this.lastFailure,
      pending: this.pending,
    };
  }

  /** Coalesces: a request during a load runs one more load after it, with the strongest trigger. */
  request(trigger: ReloadTrigger): void {
    if (this.isClosed) return;
    if (this.isRunning) {
      if (this.queued !== 'signal') this.queued = trigger;
      return;
    }
    void this.run(trigger);
  }

  /** Resolves once no load is running or queued (tests and shutdown). */
  async idle(): Promise<void> {
    while (this.isRunning || this.queued !== undefined) await new Promise((r) => setTimeout(r, 5));
  }

  close(): void {
    this.isClosed = true;
    clearTimeout(this.retryTimer);
  }

  private async run(trigger: ReloadTrigger): Promise<void> {
    this.isRunning = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    try {
      const set = await this.options.load(new Date());
      if (!this.isClosed) this.commit(set);
    } catch (err) {
      if (!this.isClosed) this.fail(err, trigger);
    } finally {
      this.isRunning = false;
    }
    const next = this.queued;
    this.queued = undefined;
    if (next !== undefined && !this.isClosed) void this.run(next);
  }

  private commit(set: LoadedSet): void {
    const { front, metrics, logger } = this.options;
    this.config = set.config;
    this.updateWatchPaths();
    this.noticeRestartOnlyItems(set.config);
    const changed = changedRoles(front.material, set.material);
    if (changed.length > 0) {
      // Throws FRONT_TLS_CONTEXT when OpenSSL refuses the pair; the front keeps the old context.
      front.applyMaterial(set.material);
      metrics.countReloadApplied();
      metrics.setMaterialExpiry('server_cert', set.material.serverCert.notAfter);
      metrics.setMaterialExpiry('ca', set.material.ca.notAfter);
      metrics.setMaterialExpiry('crl_next_update', set.material.crl?.nextUpdate);
      logger.info(
        {
          event: 'material_reloaded',
          changed,
          serverCertSerial: set.material.serverCert.serial,
          crlEntries: set.material.crl === undefined ? 0 : revokedCountOf(set.material.crl),
        },
        'new TLS material is live',
      );
      for (const warning of set.material.warnings)
        logger.warn({ code: warning.code, role: warning.role, hint: warning.hint }, warning.message);
    }
    this.lastGoodLoadAt = new Date();
    metrics.setLastGoodLoad(Math.floor(this.lastGoodLoadAt.getTime() / 1000));
    if (this.isStale)
      logger.info({ event: 'material_current' }, 'the files on disk load again; no longer serving stale material');
    if (this.pending !== undefined) {
      logger.info(
        { event: 'reload_recovered', pendingMs: Date.now() - this.pending.since.getTime() },
        'the material loads again; no more retries',
      );
    }
    this.isStale = false;
    this.lastFailure = undefined;
    this.lastReportedKey = '';
    this.transientDelayMs = 0;
    this.pending = undefined;
    this.incompleteSince = undefined;
    metrics.setStaleMaterial(false);
  }

  private fail(err: unknown, trigger: ReloadTrigger): void {
    const error = toReloadError(err, this.options.configPath);
    if (error.code === 'MATERIAL_READ_TRANSIENT') {
      this.retryAfterTransient(error);
      return;
    }
    this.transientDelayMs = 0;
    if (error.code === 'MATERIAL_FILE_MISSING' && trigger !== 'signal') {
      this.waitForConsistentSet(error);
      return;
    }
    this.pending = undefined;
    this.incompleteSince = undefined;
    if (trigger === 'change' || trigger === 'retry') {
      // Possibly a replacement still being written: look again once the files are quiet.
      this.lookAgainIn(this.options.settleMs, 'settle');
      return;
    }
    this.report(error);
  }

  /**
   * A rotation in progress, until it has lasted the grace period: the file event that completes
   * the set triggers the next load; the timer only ends the grace period.
   */
  private waitForConsistentSet(error: StreamfrontError): void {
    const now = Date.now();
    this.incompleteSince ??= now;
    const grace = this.options.incompleteGraceMs ?? INCOMPLETE_SET_GRACE_MS;
    const remaining = this.incompleteSince + grace - now;
    if (remaining <= 0) {
      this.pending = undefined;
      this.incompleteSince = undefined;
      this.report(error);
      return;
    }
    const isNews = this.pending === undefined || this.pending.file !== error.file || this.pending.code !== error.code;
    this.pending = {
      since: new Date(this.incompleteSince),
      code: error.code,
      file: error.file,
      reason: error.message,
      nextAttemptInMs: remaining,
    };
    if (isNews) {
      this.options.logger.info(
        {
          event: 'reload_waiting',
          code: error.code,
          file: error.file,
          reason: error.message,
          reportAfterMs: remaining,
        },
        'waiting for a consistent set: a file the config names is missing (a rotation in progress?); the last good material keeps serving',
      );
    }
    this.lookAgainIn(remaining, 'settle');
  }

  /** Never final: no file event will announce the end of a shortage, so the loop looks again itself. */
  private retryAfterTransient(error: StreamfrontError): void {
    const backoff = this.options.transientRetry ?? TRANSIENT_RETRY;
    const delay = this.transientDelayMs === 0 ? backoff.firstMs : Math.min(this.transientDelayMs * 2, backoff.maxMs);
    const isNews =
      this.pending === undefined || this.pending.file !== error.file || this.pending.reason !== error.message;
    this.transientDelayMs = delay;
    this.pending = {
      since: this.pending?.since ?? new Date(),
      code: error.code,
      file: error.file,
      reason: error.message,
      nextAttemptInMs: delay,
    };
    if (isNews) {
      this.options.logger.warn(
        { event: 'reload_retrying', ...errorLogFields(error), retryInMs: delay },
        'the material could not be read for a passing reason; the load is retried and the last good material keeps serving',
      );
    }
    this.lookAgainIn(delay, 'retry');
  }

  private lookAgainIn(ms: number, trigger: ReloadTrigger): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.request(trigger), ms);
    this.retryTimer.unref();
  }

  private report(error: StreamfrontError): void {
    const { metrics, logger, configPath } = this.options;
    const material = materialOfFailure(error, this.config, configPath);
    const key = `${error.code}|${error.file ?? ''}|${error.message}`;
    this.isStale = true;
    metrics.setStaleMaterial(true);
    this.lastFailure = { at: new Date(), material, code: error.code, file: error.file, reason: error.message };
    // The same broken file seen again (poll, SIGHUP) is one failure, not a flood.
    if (key === this.lastReportedKey) return;
    this.lastReportedKey = key;
    metrics.countReloadFailure(material, error.code);
    logger.error(
      { event: 'reload_refused', material, ...errorLogFields(error) },
      'new TLS material refused; the last good material keeps serving',
    );
  }

  private noticeRestartOnlyItems(next: FrontConfig): void {
    const items = restartOnlyChanges(this.startedConfig, next);
    const notice = items.join(',');
    if (notice === this.lastRestartNotice) return;
    this.lastRestartNotice = notice;
    if (items.length > 0) {
      this.options.logger.warn(
        { event: 'restart_needed', items },
        'these config items changed and take effect at the next start only',
      );
    }
  }

  private updateWatchPaths(): void {
    const paths = watchedPathsOf(this.config, this.options.configPath, this.options.runDir);
    const key = paths.join('\n');
    if (key === this.watched) return;
    this.watched = key;
    this.options.onWatchPaths?.(paths);
  }
}
