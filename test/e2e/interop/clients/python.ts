// Python requests and httpx, each as one Debian python3 process per batch running the script
// of the same name under clients/python/ (sources, not compiled: found from the project root).
import { join } from 'node:path';
import { projectRoot } from '../../../fixtures/project-root.js';
import type { ClientRunner } from '../runner.js';
import { DEBIAN_PYTHON, requirePythonModule } from '../tools.js';
import { parseReport, runProcess } from './child-process.js';

const BATCH_TIMEOUT_MS = 150_000;
const SCRIPTS = join(projectRoot, 'test', 'e2e', 'interop', 'clients', 'python');

function pythonRunner(id: string, title: string, module: string, debianPackage: string): ClientRunner {
  return {
    id,
    title,
    canChunk: true,
    keepAliveConnections: 1,
    prepare: async () => void requirePythonModule(module, debianPackage),
    run: async (spec) => {
      const script = join(SCRIPTS, `${module}_client.py`);
      // No __pycache__ written into the source tree.
      const env = { ...process.env, PYTHONDONTWRITEBYTECODE: '1' };
      const result = await runProcess(DEBIAN_PYTHON, [script], { input: JSON.stringify(spec), env, timeoutMs: BATCH_TIMEOUT_MS });
      return parseReport(`${DEBIAN_PYTHON} ${script}`, result);
    },
  };
}

export const pythonRequests = pythonRunner('requests', 'Python requests (Session, defaults)', 'requests', 'python3-requests');
export const pythonHttpx = pythonRunner('httpx', 'Python httpx (Client, defaults)', 'httpx', 'python3-httpx');
