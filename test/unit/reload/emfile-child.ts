// Child process for the transient-read test: serves (to a stand-in front) from the run folder in
// argv[2], runs out of file descriptors for real (its parent starts it under `ulimit -n 64`),
// swaps in the CRL staged at argv[3] while starved, and reports every step as a JSON line.
import { closeSync, openSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfigFile, readFrontConfig } from '../../../src/config/index.js';
import type { TlsMaterial } from '../../../src/material/load.js';
import { loadMaterial } from '../../../src/material/load.js';
import { MaterialReloader } from '../../../src/reload/reloader.js';
import { WorkerLoader } from '../../../src/reload/worker-loader.js';

const [runDir, stagedCrl] = process.argv.slice(2) as [string, string];
const configPath = join(runDir, 'config', 'streamserver.conf');
const emit = (record: object): void => {
  process.stdout.write(`${JSON.stringify(record)}\n`);
};
const until = async (isDone: () => boolean, limitMs: number): Promise<boolean> => {
  const end = performance.now() + limitMs;
  while (!isDone() && performance.now() < end) await new Promise((r) => setTimeout(r, 10));
  return isDone();
};

const config = readFrontConfig((await loadConfigFile(configPath)).parsed);
const initial = await loadMaterial({ config, runDir, env: {}, now: new Date() });
let appliedAt: number | undefined;
const front = {
  material: initial,
  applyMaterial(next: TlsMaterial): void {
    front.material = next;
    appliedAt = performance.now();
    emit({ event: 'applied', revoked: [...(next.crl?.revokedSerials ?? [])] });
  },
};
let isRefused = false;
const log =
  (level: string) =>
  (fields: object, msg: string): void => {
    if ((fields as { event?: string }).event === 'reload_refused') isRefused = true;
    emit({ level, ...fields, msg });
  };
const metrics = {
  countReloadFailure: (material: string, reason: string) => emit({ event: 'failure_counted', material, reason }),
  countReloadApplied: () => undefined,
  setLastGoodLoad: () => undefined,
  setStaleMaterial: () => undefined,
  setMaterialExpiry: () => undefined,
};
const loader = new WorkerLoader({ configPath, runDir, env: {} });
let failedLoads = 0;
const reloader = new MaterialReloader({
  config,
  configPath,
  runDir,
  front,
  metrics,
  logger: { info: log('info'), warn: log('warn'), error: log('error') },
  settleMs: 2_000,
  load: async (now) => {
    try {
      return await loader.load(now);
    } catch (err) {
      failedLoads++;
      emit({ event: 'load_failed', code: (err as { code?: string }).code, file: (err as { file?: string }).file });
      throw err;
    }
  },
});
// The worker is up before the shortage, as in a front that has served for a while.
reloader.request('signal');
await reloader.idle();

const held: number[] = [];
try {
  for (;;) held.push(openSync('/dev/null', 'r'));
} catch (err) {
  emit({ event: 'exhausted', code: (err as NodeJS.ErrnoException).code, held: held.length });
}
renameSync(stagedCrl, join(runDir, 'keys', 'ca.crl')); // a rename needs no descriptor
reloader.request('change');
// Starved until the loop has failed three times, or has given up (the bug: reported and never retried).
await until(() => failedLoads >= 3 || isRefused, 20_000);
for (const fd of held) closeSync(fd);
const releasedAt = performance.now();
emit({ event: 'released', failedLoads });
const isLive = await until(() => appliedAt !== undefined, 15_000);
emit({
  event: 'end',
  isLive,
  liveAfterReleaseMs: appliedAt === undefined ? undefined : Math.round(appliedAt - releasedAt),
});
reloader.close();
await loader.close();
process.exit(0);
