// Go net/http: clients/go/interop_client.go built once per test process into a temp folder,
// with its own GOCACHE and GOPATH there and modules off, so the build fetches nothing and
// leaves nothing behind; then one run per batch.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../../fixtures/project-root.js';
import type { ClientRunner } from '../runner.js';
import { requireCommand } from '../tools.js';
import { parseReport, runProcess } from './child-process.js';

const BUILD_TIMEOUT_MS = 120_000;
const BATCH_TIMEOUT_MS = 150_000;
const SOURCE = join(projectRoot, 'test', 'e2e', 'interop', 'clients', 'go', 'interop_client.go');

let built: Promise<string> | undefined;

/** The path of the built client; the build runs once, whichever runner asks first. */
function buildClient(): Promise<string> {
  built ??= (async () => {
    requireCommand('go', ['version'], 'golang-go');
    const dir = mkdtempSync(join(tmpdir(), 'streamfront-interop-go-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const binary = join(dir, 'interop_client');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      GOCACHE: join(dir, 'cache'),
      GOPATH: join(dir, 'gopath'),
      GO111MODULE: 'off',
      GOFLAGS: '',
      GOPROXY: 'off',
      GOTOOLCHAIN: 'local',
    };
    const result = await runProcess('go', ['build', '-o', binary, SOURCE], { env, timeoutMs: BUILD_TIMEOUT_MS });
    if (result.code !== 0)
      throw new Error(`go build ${SOURCE} failed (exit ${String(result.code)}):\n${result.stderr.slice(-3000)}`);
    return binary;
  })();
  return built;
}

function goRunner(id: string, title: string, isExpectContinue: boolean): ClientRunner {
  return {
    id,
    title,
    canChunk: true,
    keepAliveConnections: 1,
    prepare: async () => void (await buildClient()),
    run: async (spec) => {
      const binary = await buildClient();
      const result = await runProcess(binary, [], {
        input: JSON.stringify({ ...spec, expectContinue: isExpectContinue }),
        timeoutMs: BATCH_TIMEOUT_MS,
      });
      return parseReport(`the Go client (${binary})`, result);
    },
  };
}

export const goDefault = goRunner('go', 'Go net/http (default transport)', false);
/** The same client with `Expect: 100-continue` on every request (the transport waits up to 1 s for 100). */
export const goExpect = goRunner('go-expect', 'Go net/http with Expect: 100-continue', true);
