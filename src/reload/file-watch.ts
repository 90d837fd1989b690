// Notices when the files the front serves from are replaced: folder watches for speed, a stat
// poll as the net under them, and a debounce so one rotation (many writes) is one reload.
import { watch, type FSWatcher } from 'node:fs';
import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  isSameFolder,
  isSameSignature,
  readDecidingFolders,
  readFileSignature,
  readFolderIdentity,
  type FileSignature,
  type FolderIdentity,
} from './file-signature.js';

export interface FileWatchOptions {
  /** Stat poll interval: the fallback that catches any missed fs.watch event. */
  readonly pollMs: number;
  /** Quiet time after the last change before onChange fires (coalesces a burst of writes). */
  readonly debounceMs: number;
  readonly onChange: (changedPaths: readonly string[]) => void;
  /** fs.watch can be disabled to test the poll fallback alone. Default true. */
  readonly useFsWatch?: boolean;
}

/** A writer that never pauses delays onChange by at most this many debounce periods, so it cannot starve reload. */
const MAX_DELAY_IN_DEBOUNCES = 5;

interface WatchedPath {
  readonly path: string;
  signature: FileSignature;
  folders: readonly string[];
}

interface FolderWatch {
  watcher: FSWatcher | undefined;
  /** The folder the watch was opened on; a different identity later means it was replaced (by a rename, say) unseen. */
  readonly identity: FolderIdentity;
}

function checkDuration(name: string, value: number, min: number): void {
  if (!Number.isFinite(value) || value < min) {
    throw new RangeError(`MaterialFileWatcher: ${name} must be a finite number >= ${min} ms; got ${String(value)}`);
  }
}

function reportCallbackError(err: unknown): void {
  // The watcher has no logger; a warning keeps a broken callback visible without killing the timer.
  const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.emitWarning(`MaterialFileWatcher onChange threw: ${detail}`, { code: 'STREAMFRONT_WATCH_CALLBACK' });
}

export class MaterialFileWatcher {
  private readonly pollMs: number;
  private readonly debounceMs: number;
  private readonly maxDelayMs: number;
  private readonly onChange: (changedPaths: readonly string[]) => void;
  private readonly isFsWatchEnabled: boolean;

  private watched = new Map<string, WatchedPath>();
  private readonly folderWatches = new Map<string, FolderWatch>();
  private readonly pendingChanges = new Set<string>();
  private firstPendingAt: number | undefined;
  private debounceTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  /** Every look at the disk runs in this chain, one at a time, so a poll, a watch event and setPaths never interleave. */
  private queue: Promise<void> = Promise.resolve();
  private isCheckQueued = false;
  private isClosed = false;
  /** settle() callers waiting for the debounce timer to fire or be cancelled. */
  private debounceWaiters: Array<() => void> = [];

  constructor(options: FileWatchOptions) {
    checkDuration('pollMs', options.pollMs, 1);
    checkDuration('debounceMs', options.debounceMs, 0);
    this.pollMs = options.pollMs;
    this.debounceMs = options.debounceMs;
    this.maxDelayMs = options.debounceMs * MAX_DELAY_IN_DEBOUNCES;
    this.onChange = options.onChange;
    this.isFsWatchEnabled = options.useFsWatch ?? true;
  }

  /**
   * The absolute file paths to watch (config file, certificates, key, CRL, keystores).
   * Replaceable any time; a path may not exist yet. A new path's current state is its
   * baseline (no onChange for it). A path kept from the previous set keeps its last seen
   * state, so a change that happened just before this call is still reported, not absorbed.
   */
  setPaths(paths: readonly string[]): Promise<void> {
    if (this.isClosed) return Promise.resolve();
    const unique = [...new Set(paths)];
    return this.enqueue(async () => {
      const next = new Map<string, WatchedPath>();
      await Promise.all(
        unique.map(async (path) => {
          const kept = this.watched.get(path);
          if (kept !== undefined) {
            next.set(path, kept);
            return;
          }
          const [signature, folders] = await Promise.all([readFileSignature(path), readDecidingFolders(path)]);
          next.set(path, { path, signature, folders });
        }),
      );
      if (this.isClosed) return;
      // Keep the caller's order: onChange reports paths in it.
      this.watched = new Map(unique.map((path) => [path, next.get(path) as WatchedPath]));
      for (const path of this.pendingChanges) {
        if (!this.watched.has(path)) this.pendingChanges.delete(path);
      }
      if (this.pendingChanges.size === 0) this.cancelDebounce();
      await this.syncFolderWatches();
    });
  }

  /**
   * Looks at every watched path now (as a poll would) and resolves once that look is done:
   * a change on disk before this call is then pending or reported, whatever fs.watch did.
   */
  checkNow(): Promise<void> {
    if (this.isClosed) return Promise.resolve();
    return this.enqueue(() => this.check());
  }

  /**
   * Resolves once a look at the disk made after this call is done and no change is pending
   * (every change seen was reported by onChange, or dropped by setPaths/close). Lets a caller
   * (a test) know that nothing more will fire for what is on disk now, without a clock.
   */
  async settle(): Promise<void> {
    await this.checkNow();
    while (this.debounceTimer !== undefined && !this.isClosed) {
      // Someone waits on it now: the timer keeps the process alive until it fires.
      this.debounceTimer.ref();
      await new Promise<void>((resolve) => this.debounceWaiters.push(resolve));
      // A watch event during the wait may have queued a look: let it land before deciding.
      await this.queue;
    }
  }

  /** Stops watchers and timers; no callback after it returns. Safe to call more than once. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
    this.cancelDebounce();
    for (const folderWatch of this.folderWatches.values()) folderWatch.watcher?.close();
    this.folderWatches.clear();
    this.watched.clear();
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const run = this.queue.then(async () => {
      try {
        await step();
      } finally {
        this.schedulePoll();
      }
    });
    // A failed step must not stop the ones queued after it.
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Called from timers and watch callbacks: never throws, and at most one check waits in the queue. */
  private requestCheck(): void {
    if (this.isClosed || this.isCheckQueued) return;
    this.isCheckQueued = true;
    this.enqueue(() => this.check()).catch(() => undefined);
  }

  /** Re-armed after every step, so polls never overlap and a check just done postpones the next poll. */
  private schedulePoll(): void {
    clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
    if (this.isClosed || this.watched.size === 0) return;
    this.pollTimer = setTimeout(() => {
      this.pollTimer = undefined;
      this.requestCheck();
    }, this.pollMs);
    this.pollTimer.unref();
  }

  private async check(): Promise<void> {
    // Cleared first: an event arriving while this check stats must queue one more.
    this.isCheckQueued = false;
    if (this.isClosed) return;
    const entries = [...this.watched.values()];
    const changed = new Set<string>();
    await Promise.all(
      entries.map(async (entry) => {
        const signature = await readFileSignature(entry.path);
        if (isSameSignature(signature, entry.signature)) return;
        entry.signature = signature;
        entry.folders = await readDecidingFolders(entry.path);
        changed.add(entry.path);
      }),
    );
    if (this.isClosed) return;
    await this.syncFolderWatches();
    if (changed.size > 0) this.noteChanges(entries.filter((e) => changed.has(e.path)).map((e) => e.path));
  }

  /** Opens watches on folders newly needed, closes unneeded ones, re-opens any whose folder was recreated or whose watch failed. */
  private async syncFolderWatches(): Promise<void> {
    if (!this.isFsWatchEnabled || this.isClosed) return;
    const wanted = new Set<string>();
    for (const entry of this.watched.values()) for (const folder of entry.folders) wanted.add(folder);
    for (const [folder, folderWatch] of this.folderWatches) {
      if (wanted.has(folder)) continue;
      folderWatch.watcher?.close();
      this.folderWatches.delete(folder);
    }
    await Promise.all(
      [...wanted].map(async (folder) => {
        // Identity is read before the watch is opened: if the folder is swapped in between,
        // the next check sees a mismatch and re-opens (the reverse order could miss that forever).
        const identity = await readFolderIdentity(folder);
        if (this.isClosed) return;
        const current = this.folderWatches.get(folder);
        if (current?.watcher !== undefined && identity !== undefined && isSameFolder(current.identity, identity))
          return;
        current?.watcher?.close();
        this.folderWatches.delete(folder);
        if (identity === undefined) return; // the poll covers it until the folder exists
        const folderWatch: FolderWatch = { watcher: undefined, identity };
        folderWatch.watcher = this.openFolderWatch(folder, folderWatch);
        this.folderWatches.set(folder, folderWatch);
      }),
    );
  }

  private openFolderWatch(folder: string, folderWatch: FolderWatch): FSWatcher | undefined {
    const ownName = basename(folder);
    let watcher: FSWatcher;
    try {
      // persistent: false so a forgotten watcher never keeps the process alive.
      watcher = watch(folder, { persistent: false }, (_event, name) => {
        // An event named after the watched folder itself is its own removal (Linux reports
        // the end of the watch that way). The folder's identity alone cannot tell: a folder
        // recreated at once often gets the same inode number back.
        if (name === ownName) this.dropFolderWatch(folderWatch, watcher);
        this.requestCheck();
      });
    } catch {
      // EACCES, ENOSPC (inotify limit), a folder gone since the stat: the poll covers it and the next check retries.
      return undefined;
    }
    watcher.on('error', () => {
      this.dropFolderWatch(folderWatch, watcher);
      this.requestCheck();
    });
    return watcher;
  }

  /** The next check opens a fresh watch on the folder if it exists then. */
  private dropFolderWatch(folderWatch: FolderWatch, watcher: FSWatcher): void {
    watcher.close();
    if (folderWatch.watcher === watcher) folderWatch.watcher = undefined;
  }

  private noteChanges(paths: readonly string[]): void {
    if (this.isClosed) return;
    for (const path of paths) this.pendingChanges.add(path);
    const now = performance.now();
    this.firstPendingAt ??= now;
    const untilCap = this.firstPendingAt + this.maxDelayMs - now;
    const delay = Math.max(0, Math.min(this.debounceMs, untilCap));
    clearTimeout(this.debounceTimer);
    this.debounceTimer = setTimeout(() => this.fire(), delay);
    if (this.debounceWaiters.length === 0) this.debounceTimer.unref();
  }

  private cancelDebounce(): void {
    clearTimeout(this.debounceTimer);
    this.debounceTimer = undefined;
    this.firstPendingAt = undefined;
    this.pendingChanges.clear();
    this.wakeDebounceWaiters();
  }

  private wakeDebounceWaiters(): void {
    for (const wake of this.debounceWaiters.splice(0)) wake();
  }

  private fire(): void {
    this.debounceTimer = undefined;
    this.firstPendingAt = undefined;
    // Woken after onChange ran (a microtask later), so settle() sees the call it waited for.
    queueMicrotask(() => this.wakeDebounceWaiters());
    if (this.isClosed || this.pendingChanges.size === 0) return;
    const changed = [...this.pendingChanges];
    this.pendingChanges.clear();
    try {
      this.onChange(changed);
    } catch (err) {
      reportCallbackError(err);
    }
  }
}
