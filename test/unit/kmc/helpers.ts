// Shared test scaffolding for the KMC tests: temp keys folders, error-code assertions, and a
// child writer that can be paused at a named save step and killed with SIGKILL.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isStreamfrontError } from '../../../src/errors/error.js';

export async function makeKeysDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'sf-kmc-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Asserts fn throws a StreamfrontError with this code, and returns it for message checks. */
export function assertCode(fn: () => unknown, code: string): Error {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(isStreamfrontError(caught), `expected StreamfrontError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  return caught;
}

export async function assertRejectsCode(p: Promise<unknown>, code: string): Promise<Error> {
  try {
    await p;
  } catch (err) {
    assert.ok(isStreamfrontError(err), `expected StreamfrontError ${code}, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected rejection with ${code}`);
}

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'child-writer.js');

export interface PausedChild {
  readonly child: ChildProcess;
  kill9(): Promise<void>;
}

/** Runs child-writer (verb: init | rotate) and resolves once it reports being paused at step. */
export async function startPausedWriter(keysDir: string, verb: 'init' | 'rotate', step: string): Promise<PausedChild> {
  const child = spawn(process.execPath, [CHILD, keysDir, verb, step], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`child never paused at ${step}: ${err}`)), 10000);
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes(`kmc-test-paused ${step}`)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (c) => {
      clearTimeout(timer);
      reject(new Error(`child exited ${String(c)} before pausing at ${step}: ${err}`));
    });
  });
  return {
    child,
    async kill9() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
