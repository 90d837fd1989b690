// The reload worker: runs the one loader (config file, then material, then the keystore) off
// the main thread, so that parsing a CRL of 1,000,000 entries never stalls requests being served.
import { parentPort } from 'node:worker_threads';
import { loadConfigFile, readFrontConfig } from '../config/index.js';
import { loadMaterial } from '../material/load.js';
import {
  carryError,
  forTransfer,
  transferablesOf,
  type LoadLogRecord,
  type LoadRequest,
  type LoadResult,
} from './load-request.js';

async function handle(request: LoadRequest): Promise<LoadResult> {
  const logs: LoadLogRecord[] = [];
  try {
    const { parsed } = await loadConfigFile(request.configPath);
    const config = readFrontConfig(parsed);
    const material = await loadMaterial({
      config,
      runDir: request.runDir,
      env: { ...request.env },
      now: new Date(request.nowMs),
      log: (level, msg, fields) => logs.push({ level, msg, fields }),
    });
    return { id: request.id, ok: true, config, ...forTransfer(material), logs };
  } catch (err) {
    return { id: request.id, ok: false, error: carryError(err), logs };
  }
}

const port = parentPort;
if (port === null) throw new Error('material-worker.js runs as a worker thread only');
port.on('message', (request: LoadRequest) => {
  void handle(request).then((result) =>
    port.postMessage(result, result.ok ? transferablesOf(result.material, result.revokedSerials) : []),
  );
});
