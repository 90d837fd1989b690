// Python requests and httpx, each as one Debian python3 process per batch running the script
// of the same name under clients/python/ (sources, not compiled: found from the project root).
import { join } from 'node:path';
import { projectRoot } from '../../../fixtures/project-root.js';
import type { ClientRunner } from '../runner.js';
import { DEBIAN_PYTHON, requirePythonModule } from '../tools.js';
import { parseReport, runProcess } from './child-process.js';

const BATCH_TIMEOUT_MS = 150_000;
const SCRIPTS = join(projectRoot, 'test', 'e2e', 'interop', 'clients', 'python');

interface PythonClient {
  readonly id: string;
  readonly title: string;
  /** clients/python/<script>_client.py */
  readonly script: string;
  readonly args: readonly string[];
  /** Modules the client imports, each with the Debian package that provides it. */
  readonly modules: ReadonlyArray<readonly [module: string, debianPackage: string]>;
}

function pythonRunner(client: PythonClient): ClientRunner {
  const script = join(SCRIPTS, `${client.script}_client.py`);
  return {
    id: client.id,
    title: client.title,
    canChunk: true,
    keepAliveConnections: 1,
    prepare: async () => {
      for (const [module, debianPackage] of client.modules) requirePythonModule(module, debianPackage);
    },
    run: async (spec) => {
      // No __pycache__ written into the source tree.
      const env = { ...process.env, PYTHONDONTWRITEBYTECODE: '1' };
      const result = await runProcess(DEBIAN_PYTHON, [script, ...client.args], {
        input: JSON.stringify(spec),
        env,
        timeoutMs: BATCH_TIMEOUT_MS,
      });
      return parseReport(`${DEBIAN_PYTHON} ${script} ${client.args.join(' ')}`, result);
    },
  };
}

export const pythonRequests = pythonRunner({
  id: 'requests',
  title: 'Python requests (Session, defaults)',
  script: 'requests',
  args: [],
  modules: [['requests', 'python3-requests']],
});
export const pythonHttpx = pythonRunner({
  id: 'httpx',
  title: 'Python httpx (Client, defaults)',
  script: 'httpx',
  args: [],
  modules: [['httpx', 'python3-httpx']],
});
/** Offers h2 first in ALPN: the front speaks HTTP/1.1 only, so this checks the fallback. */
export const pythonHttpxHttp2 = pythonRunner({
  id: 'httpx-h2',
  title: 'Python httpx (Client(http2=True))',
  script: 'httpx',
  args: ['--http2'],
  modules: [
    ['httpx', 'python3-httpx'],
    ['h2', 'python3-h2'],
  ],
});
