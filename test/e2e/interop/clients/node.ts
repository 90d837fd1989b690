// Node's https module and undici, each as its own Node process per batch (like the clients in
// other languages, so a client's sockets and timers never share the test process's event loop).
import { fileURLToPath } from 'node:url';
import type { ClientRunner } from '../runner.js';
import { MissingClientError } from '../tools.js';
import { parseReport, runProcess } from './child-process.js';

const BATCH_TIMEOUT_MS = 150_000;

function nodeRunner(
  id: string,
  title: string,
  script: string,
  keepAliveConnections: number,
  prepare: () => Promise<void>,
): ClientRunner {
  // The compiled client sits next to this compiled file.
  const path = fileURLToPath(new URL(`./node/${script}`, import.meta.url));
  return {
    id,
    title,
    canChunk: true,
    keepAliveConnections,
    prepare,
    run: async (spec) =>
      parseReport(
        `node ${path}`,
        await runProcess(process.execPath, [path], { input: JSON.stringify(spec), timeoutMs: BATCH_TIMEOUT_MS }),
      ),
  };
}

export const nodeHttps = nodeRunner(
  'node-https',
  'Node https.request (global agent, defaults)',
  'https-client.js',
  1,
  async () => undefined,
);

/** Its Agent spreads closed-loop requests over 2 connections (see ClientRunner.keepAliveConnections). */
export const nodeUndici = nodeRunner(
  'undici',
  'undici request() (Agent, defaults)',
  'undici-client.js',
  2,
  async () => {
    try {
      await import('undici');
    } catch (err) {
      // An npm package, not a Debian one: the project's devDependencies bring it.
      throw new MissingClientError(
        'the npm package undici',
        'nodejs with npm',
        `${(err as Error).message}; run npm ci in the project`,
      );
    }
  },
);
