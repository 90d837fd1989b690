// The front as a group of serving workers (workers > 1): node:cluster workers share server_port
// while this primary keeps everything that must happen once (config, the one loader and live
// reload, the admin listener, expiry watch, session-ticket keys). Each reload is checked here,
// then sent to every worker; a worker that dies is logged and replaced with the current material.
import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { FrontConfig } from '../config/items.js';
import type { TlsMaterial } from '../material/load.js';
import { StreamfrontError } from '../errors/error.js';
import { forTransfer, rebuildError } from '../reload/load-request.js';
import { buildSecureContextOptions, validateSecureContext } from '../tls/context.js';
import { TicketKeys } from '../tls/ticket-keys.js';
import { missingServingFlags } from './node-flags.js';
import type { FrontHandle } from './front.js';
import type { FrontMetrics } from './metrics.js';
import { mergeExpositions, RetiredTotals, type WorkerExposition } from './metrics-merge.js';
import { RevocationGuard } from './revocation-guard.js';
import type { FromWorker, ToWorker, WiredMaterial } from './worker-protocol.js';

const WORKER_SCRIPT = fileURLToPath(new URL('./serving-worker.js', import.meta.url));
/** Longest wait for a worker to listen (it builds the TLS context and the proxy). */
export const WORKER_START_TIMEOUT_MS = 30_000;
/** Longest wait for a worker's answer to an apply or a metrics request. */
export const WORKER_ANSWER_TIMEOUT_MS = 5_000;
/** How often the primary asks each listening worker for a sign of life. */
export const WORKER_PING_INTERVAL_MS = 5_000;
/**
 * A listening worker that has sent nothing for this long (three pings unanswered) is hung: its
 * event loop is stuck or the process is stopped, and the connections the kernel hands it wait for
 * nothing. It is killed and replaced. A healthy worker answers a ping within milliseconds even on
 * a loaded machine; no event of the serving path blocks its loop for seconds.
 */
export const WORKER_HUNG_AFTER_MS = 15_000;
/** A worker that dies sooner than this after its start is replaced only after RESTART_BACKOFF_MS (no fork loop). */
const YOUNG_EXIT_MS = 2_000;
const RESTART_BACKOFF_MS = 1_000;
/** After the grace time, workers still draining get this long before SIGKILL. */
const DRAIN_MARGIN_MS = 5_000;

export interface WorkerGroupOptions {
  readonly config: FrontConfig;
  readonly material: TlsMaterial;
  readonly logger: Logger;
  /** The primary's level (log_level or --log-level); workers log at the same. */
  readonly logLevel: string;
  /** The primary's registry: reload, material, engine and process series. */
  readonly metrics: FrontMetrics;
  /** Where the workers' log lines are written: the primary's own destination, one writer. */
  readonly writeLog: (text: string) => void;
  /** How often the shared session-ticket key is replaced (default TICKET_KEY_PERIOD_MS, hourly). */
  readonly ticketKeyPeriodMs?: number;
  /**
   * Tests only (no config item or variable reaches it): another module for the workers to run,
   * with its argv, and shorter bounds, so a worker that never listens or never answers is quick
   * to provoke. Default: serving-worker.js, WORKER_START_TIMEOUT_MS, WORKER_ANSWER_TIMEOUT_MS,
   * WORKER_PING_INTERVAL_MS, WORKER_HUNG_AFTER_MS.
   */
  readonly seam?: {
    readonly script?: string;
    readonly args?: readonly string[];
    readonly startTimeoutMs?: number;
    readonly answerTimeoutMs?: number;
    readonly pingIntervalMs?: number;
    readonly hungAfterMs?: number;
  };
}

export interface WorkerGroup extends FrontHandle<TlsMaterial> {
  /** The group's /metrics: the primary's series with every worker's summed in. */
  renderMetrics(): Promise<string>;
  /** Workers listening now (a replacement counts once it listens). */
  readonly servingWorkers: number;
}

interface Slot {
  readonly id: number;
  worker: Worker;
  startedAt: number;
  /** Its init was sent: messages from now on reach it, in order, after the init. */
  isBooted: boolean;
  isReady: boolean;
  readonly answers: Map<number, (message: FromWorker | undefined) => void>;
  /** Its exposition at the last scrape it answered: what its counters add to the group once it exits. */
  lastExposition: string | undefined;
  /** It exited and its last exposition is in the retired totals: a late answer must not count twice. */
  isRetired: boolean;
  /** When its last message of any kind arrived (performance.now()): the liveness check's clock. */
  lastHeardAt: number;
  /** It was found hung and killed: its exit is already explained in the log. */
  isHung: boolean;
}

function wire(material: TlsMaterial): WiredMaterial {
  return forTransfer(material);
}

export async function startWorkerGroup(opts: WorkerGroupOptions): Promise<WorkerGroup> {
  const { config, logger, metrics } = opts;
  let material = opts.material;
  let ticketKey: Buffer = randomBytes(48);
  let isStopping = false;
  /** Every first worker listened: from then on a worker that exits is replaced, not a failed start. */
  let isStarted = false;
  let restarts = 0;
  let seq = 0;
  let port = config.serverPort;
  const slots = new Map<number, Slot>();
  const retired = new RetiredTotals();
  const startTimeoutMs = opts.seam?.startTimeoutMs ?? WORKER_START_TIMEOUT_MS;
  const answerTimeoutMs = opts.seam?.answerTimeoutMs ?? WORKER_ANSWER_TIMEOUT_MS;
  const pingIntervalMs = opts.seam?.pingIntervalMs ?? WORKER_PING_INTERVAL_MS;
  const hungAfterMs = opts.seam?.hungAfterMs ?? WORKER_HUNG_AFTER_MS;
  // Only for /readyz's view of the CRL: the workers enforce it and log its expiry, so this copy is silent.
  const revocation = new RevocationGuard(material.crl, config.crlExpiredPolicy, logger.child({}, { level: 'silent' }));

  cluster.setupPrimary({
    exec: opts.seam?.script ?? WORKER_SCRIPT,
    args: [...(opts.seam?.args ?? [])],
    // The serving flags even when the primary was started without them (node front.js by hand).
    execArgv: [...process.execArgv, ...missingServingFlags(process.execArgv)],
    serialization: 'advanced',
  });

  function post(slot: Slot, message: ToWorker): void {
    if (slot.worker.isConnected()) slot.worker.send(message);
  }

  function ask(slot: Slot, message: ToWorker & { seq: number }): Promise<FromWorker | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        slot.answers.delete(message.seq);
        resolve(undefined);
      }, answerTimeoutMs);
      slot.answers.set(message.seq, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      post(slot, message);
    });
  }

  /** Forks the worker of a slot; resolves once it listens, rejects with its start error. */
  function fork(id: number): Promise<void> {
    const worker = cluster.fork();
    const slot: Slot = {
      id,
      worker,
      startedAt: Date.now(),
      isBooted: false,
      isReady: false,
      answers: new Map(),
      lastExposition: undefined,
      isRetired: false,
      lastHeardAt: performance.now(),
      isHung: false,
    };
    slots.set(id, slot);
    const started = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new StreamfrontError(
            'FRONT_WORKER_START_TIMEOUT',
            `serving worker ${id} did not listen within ${startTimeoutMs} ms`,
            {
              hint: "read the log lines before this one for the worker's own error; on a machine this loaded, lower workers",
            },
          ),
        );
        worker.process.kill('SIGKILL');
      }, startTimeoutMs);
      worker.on('message', (message: FromWorker) => {
        slot.lastHeardAt = performance.now();
        switch (message.type) {
          case 'pong':
            return;
          case 'log':
            opts.writeLog(message.text);
            return;
          case 'booted':
            // Sent now, not at fork: the material it serves is the current one.
            slot.isBooted = true;
            post(slot, { type: 'init', id, config, logLevel: opts.logLevel, wired: wire(material), ticketKey });
            return;
          case 'ready':
            clearTimeout(timer);
            slot.isReady = true;
            port = message.port;
            logger.info({ event: 'worker_started', worker: id, pid: worker.process.pid }, 'serving worker listening');
            resolve();
            return;
          case 'failed':
            clearTimeout(timer);
            reject(rebuildError(message.error));
            return;
          default: {
            const answer = slot.answers.get(message.seq);
            slot.answers.delete(message.seq);
            answer?.(message);
          }
        }
      });
      worker.once('exit', (code, signal) => {
        clearTimeout(timer);
        // Before any scrape waiting on it settles: that scrape and every later one count it here.
        if (slot.lastExposition !== undefined) retired.fold(slot.lastExposition);
        slot.isRetired = true;
        slot.isReady = false;
        reject(
          new StreamfrontError(
            'FRONT_WORKER_START_EXITED',
            `serving worker ${id} exited before listening (code ${code}, signal ${signal})`,
            { hint: "read the log lines before this one for the worker's own error" },
          ),
        );
        for (const answer of slot.answers.values()) answer(undefined);
        slot.answers.clear();
        onExit(slot, worker, code, signal);
      });
    });
    return started;
  }

  function onExit(slot: Slot, worker: Worker, code: number | null, signal: string | null): void {
    if (isStopping || !isStarted || slots.get(slot.id)?.worker !== worker) return;
    restarts += 1;
    const ranMs = Date.now() - slot.startedAt;
    logger.warn(
      { event: 'worker_exited', worker: slot.id, pid: worker.process.pid, code, signal, ranMs },
      'a serving worker exited; starting a replacement',
    );
    const delay = ranMs < YOUNG_EXIT_MS ? RESTART_BACKOFF_MS : 0;
    setTimeout(() => {
      if (isStopping) return;
      fork(slot.id).catch((err: unknown) =>
        logger.error(
          { event: 'worker_start_failed', worker: slot.id, reason: err instanceof Error ? err.message : String(err) },
          'a replacement serving worker did not start; trying again',
        ),
      );
    }, delay).unref();
  }

  const keys = new TicketKeys(
    {
      setTicketKeys(key: Buffer): void {
        ticketKey = key;
        for (const slot of slots.values()) if (slot.isBooted) post(slot, { type: 'ticket-key', key });
      },
    },
    opts.ticketKeyPeriodMs,
  );

  const starting: Promise<void>[] = [];
  for (let id = 1; id <= config.workers; id++) starting.push(fork(id));
  try {
    await Promise.all(starting);
  } catch (err) {
    isStopping = true;
    keys.stop();
    // They serve nothing yet: SIGTERM ends each at once (a starting one has nothing to drain).
    for (const slot of slots.values()) slot.worker.process.kill('SIGTERM');
    throw err;
  }
  isStarted = true;
  revocation.start();
  const liveness = setInterval(checkLiveness, pingIntervalMs);
  liveness.unref();

  let lastCheckAt = performance.now();
  /** Kills a listening worker that has been silent past the bound; pings the others. */
  function checkLiveness(): void {
    if (isStopping) return;
    const now = performance.now();
    // A check that comes late means this process was not running (a stopped or starved primary):
    // the workers' answers may wait unread behind this timer, so their silence proves nothing yet.
    const isLate = now - lastCheckAt > 2 * pingIntervalMs;
    lastCheckAt = now;
    for (const slot of slots.values()) {
      if (!slot.isReady || slot.isRetired || slot.isHung) continue;
      const silentMs = Math.round(now - slot.lastHeardAt);
      if (silentMs < hungAfterMs || isLate) {
        post(slot, { type: 'ping' });
        continue;
      }
      slot.isHung = true;
      logger.error(
        { event: 'worker_unresponsive', worker: slot.id, pid: slot.worker.process.pid, silentMs },
        'a serving worker stopped answering; killing it and starting a replacement',
      );
      slot.worker.process.kill('SIGKILL');
    }
  }

  /** Sends the set to every worker; one that cannot take it is replaced (it starts with this set). */
  async function applyToWorkers(next: TlsMaterial, revocationTicketKey: Buffer): Promise<void> {
    const startedAt = performance.now();
    const wired = wire(next);
    const answers = await Promise.all(
      [...slots.values()]
        .filter((slot) => slot.isBooted)
        .map(async (slot) => {
          const answer = await ask(slot, { type: 'apply', seq: ++seq, wired, revocationTicketKey });
          if (answer?.type === 'applied') return answer.isRotated;
          logger.error(
            {
              event: 'worker_apply_failed',
              worker: slot.id,
              pid: slot.worker.process.pid,
              reason: answer?.type === 'apply-failed' ? answer.error.message : `no answer within ${answerTimeoutMs} ms`,
            },
            'a serving worker did not take the new material; replacing it',
          );
          slot.worker.process.kill('SIGKILL');
          return false;
        }),
    );
    logger.info(
      { event: 'workers_applied', workers: answers.length, ms: Math.round(performance.now() - startedAt) },
      'new material serving in every worker',
    );
  }

  return {
    get port() {
      return port;
    },
    get material() {
      return material;
    },
    get crlStatus() {
      return revocation.status();
    },
    get servingWorkers() {
      let serving = 0;
      for (const slot of slots.values()) if (slot.isReady) serving += 1;
      return serving;
    },
    applyMaterial(next: TlsMaterial): void {
      // The check each worker makes, made once here: a refused set changes nothing anywhere.
      validateSecureContext(buildSecureContextOptions(config, next));
      const revocationTicketKey = randomBytes(48);
      if (revocation.replace(next.crl)) ticketKey = revocationTicketKey;
      material = next;
      void applyToWorkers(next, revocationTicketKey);
    },
    async renderMetrics(): Promise<string> {
      const own = metrics.render();
      const answered = await Promise.all(
        [...slots.values()].map(async (slot) => {
          const answer = slot.isReady ? await ask(slot, { type: 'metrics', seq: ++seq }) : undefined;
          const text = answer?.type === 'metrics' && !slot.isRetired ? answer.text : undefined;
          if (text !== undefined) slot.lastExposition = text;
          return { slot, text };
        }),
      );
      // A worker that exited while the others answered is in the retired totals now: counted once, there.
      const workers: WorkerExposition[] = answered.map(({ slot, text }) => ({
        id: slot.id,
        pid: slot.worker.process.pid ?? 0,
        text: slot.isRetired ? undefined : text,
      }));
      workers.sort((a, b) => a.id - b.id);
      return mergeExpositions(own, workers, restarts, retired);
    },
    async shutdown(graceMs: number): Promise<void> {
      isStopping = true;
      clearInterval(liveness);
      keys.stop();
      revocation.stop();
      const exits = [...slots.values()].map(
        (slot) =>
          new Promise<void>((resolve) => {
            if (slot.worker.isDead()) return resolve();
            slot.worker.once('exit', () => resolve());
            // Not yet told what to serve: it serves nothing, and would not hear the drain.
            if (!slot.isBooted) return void slot.worker.process.kill('SIGKILL');
            const timer = setTimeout(() => slot.worker.process.kill('SIGKILL'), graceMs + DRAIN_MARGIN_MS);
            timer.unref();
            post(slot, { type: 'drain', graceMs });
          }),
      );
      await Promise.all(exits);
      logger.info({ event: 'workers_stopped', workers: exits.length }, 'every serving worker stopped');
    },
  };
}
