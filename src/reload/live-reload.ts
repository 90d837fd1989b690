// Live reload as the process runs it: the file watcher feeds the reload loop, which loads in
// the worker thread and commits to the front. SIGHUP is wired by the caller to reloadNow().
import type { FrontConfig } from '../config/items.js';
import type { LoadLogRecord } from './load-request.js';
import { MaterialFileWatcher } from './file-watch.js';
import {
  MaterialReloader,
  type ReloadLogger,
  type ReloadMetrics,
  type ReloadStatus,
  type ReloadTarget,
} from './reloader.js';
import { WorkerLoader } from './worker-loader.js';

/** Quiet time after the last event of a burst (a copy in several writes) before loading. */
export const RELOAD_DEBOUNCE_MS = 100;
/**
 * How long a set that fails to load right after a change may stay inconsistent before it
 * is reported: long enough for an operator copying a certificate and then its key by hand.
 */
export const RELOAD_SETTLE_MS = 2_000;

export interface LiveReloadOptions {
  readonly config: FrontConfig;
  readonly configPath: string;
  readonly runDir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly front: ReloadTarget;
  readonly metrics: ReloadMetrics;
  readonly logger: ReloadLogger;
}

export interface LiveReload {
  reloadNow(): void;
  status(): ReloadStatus;
  close(): Promise<void>;
}

export function startLiveReload(options: LiveReloadOptions): LiveReload {
  const { logger } = options;
  const loader = new WorkerLoader({
    configPath: options.configPath,
    runDir: options.runDir,
    env: options.env,
    onLog: (record: LoadLogRecord) =>
      record.level === 'warn'
        ? logger.warn(record.fields ?? {}, record.msg)
        : logger.info(record.fields ?? {}, record.msg),
  });
  // The front is already listening: the thread boots beside it, and the first rotation finds it ready.
  loader.start();
  let reloader: MaterialReloader | undefined;
  const watcher = new MaterialFileWatcher({
    pollMs: options.config.reloadPollMs,
    debounceMs: RELOAD_DEBOUNCE_MS,
    onChange: (paths) => {
      logger.info({ event: 'material_changed', paths }, 'material files changed on disk; loading them');
      reloader?.request('change');
    },
  });
  reloader = new MaterialReloader({
    config: options.config,
    configPath: options.configPath,
    runDir: options.runDir,
    front: options.front,
    load: (now) => loader.load(now),
    metrics: options.metrics,
    logger,
    settleMs: RELOAD_SETTLE_MS,
    onWatchPaths: (paths) => {
      watcher
        .setPaths(paths)
        .catch((err: unknown) =>
          logger.warn(
            { event: 'watch_failed', reason: err instanceof Error ? err.message : String(err) },
            'cannot watch the material files; SIGHUP still reloads',
          ),
        );
    },
  });
  const running = reloader;
  return {
    reloadNow: () => running.request('signal'),
    status: () => running.status(),
    async close(): Promise<void> {
      watcher.close();
      running.close();
      await loader.close();
    },
  };
}
