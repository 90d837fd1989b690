// The material file watcher against real folders: every way an operator or Kubernetes
// replaces a file is seen by fs.watch alone and by the poll alone; bursts coalesce; close is final.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs, { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { copyFile, link, mkdir, mkdtemp, rename, rm, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { MaterialFileWatcher, type FileWatchOptions } from '../../../src/reload/file-watch.js';

/** Far beyond every wait below: in this mode only a folder watch can report a change in time. */
const NO_POLL_MS = 60_000;
const POLL_MS = 50;
const DEBOUNCE_MS = 30;
/**
 * The product promise is "noticed within 1 s"; waits are longer so a busy machine does not fail
 * a working watcher. No test sleeps: a change is awaited as the onChange call it causes, and
 * "nothing fires" is asserted after settle() (the watcher looked at the disk and has nothing pending).
 */
const NOTICE_BOUND_MS = 1000;
const WAIT_MS = 4000;

interface Recorder {
  readonly calls: string[][];
  readonly onChange: (paths: readonly string[]) => void;
  /** The watcher feeding this recorder (set by startWatcher), for settle(). */
  watcher?: MaterialFileWatcher;
  /** Resolves when calls.length reaches count; fails the test with what arrived if it does not within WAIT_MS. */
  waitForCalls(count: number, what: string): Promise<number>;
  /**
   * Runs change, expects at least one more onChange within the wait, checks it came within
   * NOTICE_BOUND_MS, then lets the quiet time pass so the next step starts from rest.
   */
  expectNoticed(change: () => Promise<unknown>, what: string): Promise<void>;
}

/** Every call so far named exactly this one path. */
function assertOnlyPath(rec: Recorder, path: string): void {
  assert.ok(rec.calls.length > 0);
  for (const call of rec.calls) assert.deepEqual(call, [path]);
}

function makeRecorder(): Recorder {
  const calls: string[][] = [];
  /** Woken on every onChange call: waits are for the call, not for the clock. */
  let wake: (() => void) | undefined;
  return {
    calls,
    onChange: (paths) => {
      calls.push([...paths]);
      wake?.();
    },
    async waitForCalls(count, what) {
      const started = performance.now();
      const deadline = setTimeout(() => wake?.(), WAIT_MS);
      try {
        while (calls.length < count) {
          if (performance.now() - started >= WAIT_MS) {
            assert.fail(
              `${what}: expected ${count} onChange call(s) within ${WAIT_MS} ms, got ${JSON.stringify(calls)}`,
            );
          }
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
        }
      } finally {
        clearTimeout(deadline);
        wake = undefined;
      }
      return performance.now() - started;
    },
    async expectNoticed(change, what) {
      const before = calls.length;
      const started = performance.now();
      await change();
      await this.waitForCalls(before + 1, what);
      const took = performance.now() - started;
      assert.ok(took < NOTICE_BOUND_MS, `${what}: noticed after ${Math.round(took)} ms`);
      // The next step starts from rest: the rest of this change's events are reported or absorbed.
      await this.watcher?.settle();
    },
  };
}

interface Mode {
  readonly name: string;
  readonly pollMs: number;
  readonly useFsWatch: boolean;
}

const MODES: readonly Mode[] = [
  { name: 'fs.watch alone (poll 60 s)', pollMs: NO_POLL_MS, useFsWatch: true },
  { name: 'poll alone (useFsWatch: false)', pollMs: POLL_MS, useFsWatch: false },
];

/** Kubernetes secret volume: keys/ca.crt -> ..data/ca.crt, ..data -> ..<timestamp>/ holding the real files. */
async function makeSecretVolume(dir: string, content: string): Promise<string> {
  await mkdir(join(dir, '..2026_11_29_00_00_00.000'));
  await writeFile(join(dir, '..2026_11_29_00_00_00.000', 'ca.crt'), content);
  await symlink('..2026_11_29_00_00_00.000', join(dir, '..data'));
  await symlink('..data/ca.crt', join(dir, 'ca.crt'));
  return join(dir, 'ca.crt');
}

/** The kubelet's update: a new timestamped folder, a new link renamed over ..data, the old folder removed. */
async function swapSecretVolume(dir: string, stamp: string, content: string): Promise<void> {
  const old = fs.readlinkSync(join(dir, '..data'));
  const next = `..2026_11_29_${stamp}`;
  await mkdir(join(dir, next));
  await writeFile(join(dir, next, 'ca.crt'), content);
  await symlink(next, join(dir, '..data_tmp'));
  await rename(join(dir, '..data_tmp'), join(dir, '..data'));
  await rm(join(dir, old), { recursive: true });
}

describe('MaterialFileWatcher', () => {
  let dir: string;
  const watchers: MaterialFileWatcher[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'streamfront-watch-'));
  });
  afterEach(async () => {
    for (const w of watchers.splice(0)) w.close();
    await rm(dir, { recursive: true, force: true });
  });

  function startWatcher(
    recorder: Recorder,
    options: Partial<Omit<FileWatchOptions, 'onChange'>> = {},
  ): MaterialFileWatcher {
    const w = new MaterialFileWatcher({
      pollMs: POLL_MS,
      debounceMs: DEBOUNCE_MS,
      ...options,
      onChange: recorder.onChange,
    });
    recorder.watcher = w;
    watchers.push(w);
    return w;
  }

  for (const mode of MODES) {
    describe(mode.name, () => {
      const options = { pollMs: mode.pollMs, useFsWatch: mode.useFsWatch };

      it('sees in-place writes, twice in a row', async () => {
        const file = join(dir, 'server.crt');
        await writeFile(file, 'one');
        const rec = makeRecorder();
        await startWatcher(rec, options).setPaths([file]);
        await rec.expectNoticed(() => writeFile(file, 'two, longer'), 'first in-place write');
        await rec.expectNoticed(() => writeFile(file, 'three'), 'second in-place write');
        assertOnlyPath(rec, file);
      });

      it('sees a temp file renamed over the path, twice in a row (the inode changes each time)', async () => {
        const file = join(dir, 'server.key');
        await writeFile(file, 'one');
        const rec = makeRecorder();
        await startWatcher(rec, options).setPaths([file]);
        for (const content of ['two', 'three']) {
          await rec.expectNoticed(async () => {
            await writeFile(join(dir, 'new.tmp'), content);
            await rename(join(dir, 'new.tmp'), file);
          }, `rename over with ${content}`);
        }
        assertOnlyPath(rec, file);
      });

      it('reports the delete, then the copy that brings the file back', async () => {
        const file = join(dir, 'ca.crl');
        const source = join(dir, 'elsewhere.crl');
        await writeFile(file, 'one');
        await writeFile(source, 'two');
        const rec = makeRecorder();
        await startWatcher(rec, options).setPaths([file]);
        await rec.expectNoticed(() => unlink(file), 'delete');
        await rec.expectNoticed(() => copyFile(source, file), 'copy back');
        assertOnlyPath(rec, file);
      });

      it('sees a Kubernetes secret volume update (..data swapped by rename), twice', async () => {
        const file = await makeSecretVolume(dir, 'one');
        const rec = makeRecorder();
        await startWatcher(rec, options).setPaths([file]);
        await rec.expectNoticed(() => swapSecretVolume(dir, '00_00_01.000', 'two'), 'first ..data swap');
        await rec.expectNoticed(() => swapSecretVolume(dir, '00_00_02.000', 'three'), 'second ..data swap');
        assertOnlyPath(rec, file);
      });

      it('sees an in-place write to the target of a symlink that lives in another folder', async () => {
        await mkdir(join(dir, 'etc'));
        await mkdir(join(dir, 'pki'));
        const target = join(dir, 'pki', 'server.crt');
        const file = join(dir, 'etc', 'server.crt');
        await writeFile(target, 'one');
        await symlink(target, file);
        const rec = makeRecorder();
        await startWatcher(rec, options).setPaths([file]);
        await rec.expectNoticed(() => writeFile(target, 'two, longer'), 'write to the link target');
        await rec.expectNoticed(() => writeFile(target, 'three'), 'second write to the link target');
        assertOnlyPath(rec, file);
      });

      it('sees the swap of a symlinked parent folder (conf/keys -> v1 renamed to -> v2)', async () => {
        for (const v of ['v1', 'v2']) {
          await mkdir(join(dir, v));
          await writeFile(join(dir, v, 'ca.crt'), v);
        }
        await mkdir(join(dir, 'conf'));
        await symlink(join(dir, 'v1'), join(dir, 'conf', 'keys'));
        const file = join(dir, 'conf', 'keys', 'ca.crt');
        const rec = makeRecorder();
        await startWatcher(rec, options).setPaths([file]);
        await rec.expectNoticed(async () => {
          await symlink(join(dir, 'v2'), join(dir, 'conf', 'keys.tmp'));
          await rename(join(dir, 'conf', 'keys.tmp'), join(dir, 'conf', 'keys'));
        }, 'folder link swap');
        assertOnlyPath(rec, file);
      });

      it('reports a path that did not exist at setPaths once it appears', async () => {
        const file = join(dir, 'later.crt');
        const rec = makeRecorder();
        const w = startWatcher(rec, options);
        await w.setPaths([file]);
        await w.settle();
        assert.deepEqual(rec.calls, [], 'a missing path is a baseline, not a change');
        await writeFile(file, 'here now');
        await rec.waitForCalls(1, 'appearance');
        assert.deepEqual(rec.calls, [[file]]);
      });
    });
  }

  it('sees a symlink swapped to a hard link with identical stats (the real path is part of the signature)', async () => {
    const a = join(dir, 'a.crt');
    const b = join(dir, 'b.crt');
    const linkPath = join(dir, 'ca.crt');
    await writeFile(a, 'same bytes');
    await link(a, b);
    await symlink('a.crt', linkPath);
    const rec = makeRecorder();
    await startWatcher(rec, { useFsWatch: false }).setPaths([linkPath]);
    await symlink('b.crt', join(dir, 'ca.crt.tmp'));
    await rename(join(dir, 'ca.crt.tmp'), linkPath);
    const [sa, sb] = await Promise.all([stat(a, { bigint: true }), stat(b, { bigint: true })]);
    assert.deepEqual(
      [sa.ino, sa.size, sa.mtimeNs, sa.ctimeNs],
      [sb.ino, sb.size, sb.mtimeNs, sb.ctimeNs],
      'the two targets must stat alike',
    );
    await rec.waitForCalls(1, 'symlink swap to an identical-stat target');
    assert.deepEqual(rec.calls, [[linkPath]]);
  });

  it('turns a burst of 10 quick writes to two files into one onChange naming both', async () => {
    const cert = join(dir, 'server.crt');
    const key = join(dir, 'server.key');
    await writeFile(cert, 'c0');
    await writeFile(key, 'k0');
    const rec = makeRecorder();
    // A wider quiet time than elsewhere: the burst must fit inside it even on a busy machine.
    const w = startWatcher(rec, { debounceMs: 200 });
    await w.setPaths([cert, key]);
    for (let i = 1; i <= 10; i++) await writeFile(i % 2 === 0 ? cert : key, `write ${i}`.repeat(i));
    await rec.waitForCalls(1, 'burst');
    await w.settle();
    assert.equal(rec.calls.length, 1, `one call expected, got ${JSON.stringify(rec.calls)}`);
    assert.deepEqual(new Set(rec.calls[0]), new Set([cert, key]));
  });

  it('still fires while a writer never pauses (delay bounded near 5x debounceMs)', async () => {
    const file = join(dir, 'busy.crt');
    await writeFile(file, '0');
    const rec = makeRecorder();
    const debounceMs = 100;
    await startWatcher(rec, { debounceMs }).setPaths([file]);
    const started = performance.now();
    let firstCallAt: number | undefined;
    // The writer stops at the first onChange (or after 2.5 s); between writes it only yields
    // to the event loop (setImmediate), so the watcher's events and timers get their turn.
    for (let i = 1; firstCallAt === undefined && performance.now() - started < 2500; i++) {
      await writeFile(file, String(i));
      if (rec.calls.length > 0) firstCallAt = performance.now() - started;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    assert.ok(firstCallAt !== undefined, 'no onChange during 2.5 s of continuous writes');
    assert.ok(firstCallAt < debounceMs * 5 + 1000, `first onChange after ${Math.round(firstCallAt)} ms`);
  });

  it('setPaths switches to the new paths and takes their current state as baseline', async () => {
    const oldFile = join(dir, 'old.crt');
    const newFile = join(dir, 'sub', 'new.crt');
    await mkdir(join(dir, 'sub'));
    await writeFile(oldFile, 'old');
    await writeFile(newFile, 'new');
    const rec = makeRecorder();
    const w = startWatcher(rec);
    await w.setPaths([oldFile]);
    await writeFile(newFile, 'changed before it was watched');
    await w.setPaths([newFile]);
    await writeFile(oldFile, 'no longer watched');
    await w.settle();
    assert.deepEqual(rec.calls, [], "neither the old path nor the new path's earlier change may fire");
    await writeFile(newFile, 'changed while watched');
    await rec.waitForCalls(1, 'write to the new path');
    assert.deepEqual(rec.calls, [[newFile]]);
  });

  it('watches each parent folder once, not the files', async () => {
    const real = { watch: fs.watch };
    const opened: string[] = [];
    mock.method(fs, 'watch', (...args: Parameters<typeof fs.watch>) => {
      opened.push(String(args[0]));
      return real.watch(...args);
    });
    syncBuiltinESMExports();
    try {
      await mkdir(join(dir, 'keys'));
      const paths = [join(dir, 'a.conf'), join(dir, 'keys', 'ca.crt'), join(dir, 'keys', 'server.crt')];
      for (const p of paths) await writeFile(p, 'x');
      await startWatcher(makeRecorder(), { pollMs: NO_POLL_MS }).setPaths(paths);
      assert.deepEqual(opened.sort(), [fs.realpathSync(dir), fs.realpathSync(join(dir, 'keys'))].sort());
    } finally {
      mock.restoreAll();
      syncBuiltinESMExports();
    }
  });

  it('re-opens the watch of a folder removed and recreated', async () => {
    await mkdir(join(dir, 'keys'));
    await mkdir(join(dir, 'conf'));
    const cert = join(dir, 'keys', 'server.crt');
    const conf = join(dir, 'conf', 'streamserver.conf');
    await writeFile(cert, 'one');
    await writeFile(conf, 'a');
    const rec = makeRecorder();
    // No poll in time: the only check after the recreation is the one the other folder's event triggers.
    await startWatcher(rec, { pollMs: NO_POLL_MS }).setPaths([cert, conf]);
    await rm(join(dir, 'keys'), { recursive: true });
    await rec.waitForCalls(1, 'folder removed');
    await mkdir(join(dir, 'keys'));
    await writeFile(cert, 'two');
    await writeFile(conf, 'b');
    await rec.waitForCalls(2, "recreated file, seen through the other folder's event");
    await rec.watcher?.settle();
    const before = rec.calls.length;
    await writeFile(cert, 'three, through the re-opened watch');
    await rec.waitForCalls(before + 1, 'write in the recreated folder');
    assert.deepEqual(rec.calls.at(-1), [cert]);
  });

  it('re-opens the watch of a folder removed and recreated between two checks', async () => {
    await mkdir(join(dir, 'keys'));
    const cert = join(dir, 'keys', 'server.crt');
    await writeFile(cert, 'one');
    const rec = makeRecorder();
    await startWatcher(rec, { pollMs: NO_POLL_MS }).setPaths([cert]);
    // Synchronous, so no check runs until the folder is back (often with the same inode
    // number): the watcher must still learn that its watch died with the old folder.
    rmSync(join(dir, 'keys'), { recursive: true });
    mkdirSync(join(dir, 'keys'));
    writeFileSync(cert, 'two');
    await rec.waitForCalls(1, 'folder replaced');
    await rec.watcher?.settle();
    await rec.expectNoticed(
      () => writeFile(cert, 'three, through the re-opened watch'),
      'write in the recreated folder',
    );
    assertOnlyPath(rec, cert);
  });

  it('setPaths drops pending changes of paths it removes and keeps those of paths it keeps', async () => {
    const dropped = join(dir, 'dropped.crt');
    const kept = join(dir, 'kept.crt');
    const added = join(dir, 'added.crt');
    for (const p of [dropped, kept, added]) await writeFile(p, 'one');
    const rec = makeRecorder();
    const w = startWatcher(rec, { debounceMs: 400 });
    await w.setPaths([dropped, kept]);
    await writeFile(dropped, 'two');
    await writeFile(kept, 'two');
    await w.checkNow(); // both seen, the 400 ms quiet time just started
    await w.setPaths([kept, added]);
    await rec.waitForCalls(1, 'pending change of the kept path');
    await w.settle();
    assert.deepEqual(rec.calls, [[kept]]);
  });

  it('setPaths reports a kept path changed just before it, not absorbing it into a baseline', async () => {
    const kept = join(dir, 'kept.crt');
    const added = join(dir, 'added.crt');
    await writeFile(kept, 'one');
    await writeFile(added, 'one');
    const rec = makeRecorder();
    // Poll only, and not before setPaths runs again: the change is still unseen when the set is replaced.
    const w = startWatcher(rec, { pollMs: 300, useFsWatch: false });
    await w.setPaths([kept]);
    await writeFile(kept, 'two');
    await w.setPaths([kept, added]);
    await rec.waitForCalls(1, 'change made just before setPaths');
    assert.deepEqual(rec.calls, [[kept]]);
  });

  it('reports a path whose folder does not exist yet once folder and file appear', async () => {
    const file = join(dir, 'not-yet', 'server.crt');
    const rec = makeRecorder();
    const w = startWatcher(rec);
    await w.setPaths([file]);
    await mkdir(join(dir, 'not-yet'));
    await writeFile(file, 'x');
    await rec.waitForCalls(1, 'folder and file created');
    await w.settle();
    await writeFile(file, 'y, after the folder watch was opened');
    await rec.waitForCalls(2, 'second write');
    assert.deepEqual(rec.calls, [[file], [file]]);
  });

  it('keeps watching after onChange throws, and reports the throw as a warning', async () => {
    const file = join(dir, 'server.crt');
    await writeFile(file, 'one');
    const warnings: string[] = [];
    let warned: () => void = () => undefined;
    const isWarned = new Promise<void>((resolve) => {
      warned = resolve;
    });
    const onWarning = (w: Error): void => {
      warnings.push(w.message);
      if (w.message.includes('reload blew up')) warned();
    };
    process.on('warning', onWarning);
    try {
      const rec = makeRecorder();
      let isFirst = true;
      const w = new MaterialFileWatcher({
        pollMs: POLL_MS,
        debounceMs: DEBOUNCE_MS,
        onChange: (paths) => {
          rec.onChange(paths);
          if (isFirst) {
            isFirst = false;
            throw new Error('reload blew up');
          }
        },
      });
      watchers.push(w);
      await w.setPaths([file]);
      await writeFile(file, 'two');
      await rec.waitForCalls(1, 'first change');
      await w.settle();
      await writeFile(file, 'three');
      await rec.waitForCalls(2, 'change after the throw');
      await isWarned; // emitted on a later tick; the test's own timeout bounds the wait
      assert.ok(
        warnings.some((m) => m.includes('reload blew up')),
        JSON.stringify(warnings),
      );
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('close() cancels a pending onChange, stops later ones, and is idempotent', async () => {
    const file = join(dir, 'server.crt');
    await writeFile(file, 'one');
    const rec = makeRecorder();
    const w = startWatcher(rec, { debounceMs: 400 });
    await w.setPaths([file]);
    // Closed loop instead of a sleep: a second watcher on the same file with the same quiet
    // time reports what the closed one would have, later than its cancelled timer was due.
    const control = makeRecorder();
    const witness = startWatcher(control, { debounceMs: 400 });
    await witness.setPaths([file]);
    await writeFile(file, 'two');
    await w.checkNow(); // seen, the 400 ms quiet time just started
    w.close();
    w.close();
    await writeFile(file, 'three');
    await unlink(file);
    await witness.settle();
    assert.ok(control.calls.length > 0, 'the witness saw the changes');
    assert.deepEqual(rec.calls, []);
    await w.settle(); // closed: nothing can be pending, so it resolves at once
    await w.setPaths([file]); // after close: a no-op, not a restart
    await writeFile(file, 'four');
    const seenByWitness = control.calls.length;
    await witness.settle();
    assert.ok(control.calls.length > seenByWitness, 'the witness saw the write after close');
    assert.deepEqual(rec.calls, []);
  });

  it('close() clears every timer and closes every folder watch it opened', async () => {
    const realWatch = fs.watch;
    const openWatchers = new Set<fs.FSWatcher>();
    mock.method(fs, 'watch', (...args: Parameters<typeof fs.watch>) => {
      const watcher = realWatch(...args);
      openWatchers.add(watcher);
      const realClose = watcher.close.bind(watcher);
      watcher.close = () => {
        openWatchers.delete(watcher);
        realClose();
      };
      return watcher;
    });
    syncBuiltinESMExports();
    const liveTimers = new Set<NodeJS.Timeout>();
    const realSetTimeout = globalThis.setTimeout;
    const realClearTimeout = globalThis.clearTimeout;
    const trackedSetTimeout = (fn: () => void, ms?: number): NodeJS.Timeout => {
      const t: NodeJS.Timeout = realSetTimeout(() => {
        liveTimers.delete(t);
        fn();
      }, ms);
      liveTimers.add(t);
      return t;
    };
    try {
      const file = join(dir, 'server.crt');
      await writeFile(file, 'one');
      const rec = makeRecorder();
      const w = new MaterialFileWatcher({ pollMs: POLL_MS, debounceMs: 400, onChange: rec.onChange });
      watchers.push(w);
      (globalThis as { setTimeout: unknown }).setTimeout = trackedSetTimeout;
      (globalThis as { clearTimeout: unknown }).clearTimeout = (t: NodeJS.Timeout | undefined) => {
        if (t !== undefined) liveTimers.delete(t);
        realClearTimeout(t);
      };
      await w.setPaths([file]);
      await writeFile(file, 'two');
      await w.checkNow(); // a poll timer and a debounce timer are live now
      assert.ok(
        openWatchers.size > 0 && liveTimers.size > 0,
        'the watcher should hold a watch and timers before close',
      );
      w.close();
      assert.equal(openWatchers.size, 0, 'folder watches left open');
      assert.equal(liveTimers.size, 0, 'timers left running');
    } finally {
      globalThis.setTimeout = realSetTimeout;
      globalThis.clearTimeout = realClearTimeout;
      mock.restoreAll();
      syncBuiltinESMExports();
    }
  });

  it('never keeps the process alive, even without close() and with a change pending', async () => {
    const file = join(dir, 'server.crt');
    await writeFile(file, 'one');
    const moduleUrl = new URL('../../../src/reload/file-watch.js', import.meta.url).href;
    const script = `
      import { writeFileSync } from 'node:fs';
      const { MaterialFileWatcher } = await import(${JSON.stringify(moduleUrl)});
      const w = new MaterialFileWatcher({ pollMs: 50, debounceMs: 10000, onChange: () => {} });
      await w.setPaths([${JSON.stringify(file)}]);
      writeFileSync(${JSON.stringify(file)}, 'two');
      await w.checkNow(); // the change is pending: its 10 s quiet time must not hold the process
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' });
    const code = await new Promise<number | null | 'hung'>((resolveExit) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolveExit('hung');
      }, 8000);
      child.on('exit', (c) => {
        clearTimeout(timer);
        resolveExit(c);
      });
    });
    assert.equal(code, 0);
  });
});
