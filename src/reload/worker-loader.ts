// The main thread's side of the reload worker: one long-lived worker thread, one load at a
// time, results rebuilt into LoadedSet or StreamfrontError. The front starts it eagerly (start())
// so the first rotation does not pay the thread's start-up; a worker that dies is replaced on
// the next load; the serving thread only ever waits on a message.
import { Worker } from 'node:worker_threads';
import {
  fromTransfer,
  rebuildError,
  RETIRE_WORKER_AFTER_BYTES,
  type LoadLogRecord,
  type LoadRequest,
  type LoadResult,
  type LoadedSet,
} from './load-request.js';

export interface WorkerLoaderOptions {
  readonly configPath: string;
  readonly runDir: string;
  readonly env: NodeJS.ProcessEnv;
  /** Keystore notices (a repaired copy, say) are relayed here. */
  readonly onLog?: (record: LoadLogRecord) => void;
}

interface Pending {
  readonly resolve: (set: LoadedSet) => void;
  readonly reject: (err: unknown) => void;
}

const WORKER_URL = new URL('./material-worker.js', import.meta.url);

export class WorkerLoader {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private isClosed = false;

  constructor(private readonly options: WorkerLoaderOptions) {}

  load(now: Date = new Date()): Promise<LoadedSet> {
    if (this.isClosed) return Promise.reject(new Error('the reload worker is closed'));
    const worker = this.ensureWorker();
    const id = this.nextId++;
    // Only string values of the environment cross over (the loader reads the KMC secret path from it).
    const env: Record<string, string | undefined> = { ...this.options.env };
    const request: LoadRequest = {
      id,
      configPath: this.options.configPath,
      runDir: this.options.runDir,
      env,
      nowMs: now.getTime(),
    };
    return new Promise<LoadedSet>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage(request);
    });
  }

  /**
   * Starts the worker thread now rather than at the first load, so the first reload goes live
   * as fast as later ones. The thread boots in parallel; nothing here waits for it.
   */
  start(): void {
    if (!this.isClosed) this.ensureWorker();
  }

  async close(): Promise<void> {
    this.isClosed = true;
    const worker = this.worker;
    this.worker = undefined;
    if (worker !== undefined) await worker.terminate();
  }

  private ensureWorker(): Worker {
    if (this.worker !== undefined) return this.worker;
    const worker = new Worker(WORKER_URL);
    // The worker must never keep the process alive on its own: the listeners do that.
    worker.unref();
    worker.on('message', (result: LoadResult) => this.settle(result));
    worker.on('error', (err) => this.failAll(worker, err));
    worker.on('exit', (code) => this.failAll(worker, new Error(`the reload worker exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }

  private settle(result: LoadResult): void {
    const waiter = this.pending.get(result.id);
    if (waiter === undefined) return;
    this.pending.delete(result.id);
    for (const record of result.logs) this.options.onLog?.(record);
    if (!result.ok) {
      waiter.reject(rebuildError(result.error));
      return;
    }
    const { config, material, revokedSerials } = result;
    if (revokedSerials !== undefined && revokedSerials.byteLength > RETIRE_WORKER_AFTER_BYTES) this.retire();
    waiter.resolve({ config, material: fromTransfer(material, revokedSerials) });
  }

  /**
   * An idle worker seldom collects garbage, so the buffers of a large CRL it read (file, DER)
   * would stay resident; a fresh worker for the next load costs ~30 ms off the serving thread.
   */
  private retire(): void {
    const worker = this.worker;
    this.worker = undefined;
    if (worker !== undefined) void worker.terminate();
  }

  private failAll(worker: Worker, err: unknown): void {
    // A retired worker's exit concerns no load: the loads in flight belong to its successor.
    if (this.worker !== worker) return;
    this.worker = undefined;
    for (const waiter of this.pending.values()) waiter.reject(err);
    this.pending.clear();
  }
}
