#!/usr/bin/env node
// Runs the compiled tests with Node's own runner. Node 20 has no glob support in --test,
// so the files are listed here. Arguments narrow the run: `unit`, `e2e` or a path fragment.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function listTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...listTests(path));
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = listTests('dist/test')
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// Started through npm (npm test, npm run coverage), this process carries npm's INIT_CWD, the
// folder npm was called from. The kmc command reads it as the operator's run folder, and a nested
// `npm run kmc` keeps an INIT_CWD it inherits, so the tests' kmc processes would act on this
// repository's keys/ instead of their temp run folders. The tests get the environment without it.
const env = { ...process.env };
delete env.INIT_CWD;
// Files run three at a time (STREAMFRONT_TEST_CONCURRENCY overrides). Most of a test file's time
// is waiting: on fronts to start, on timeouts it provokes, on rotations going live. Node's default
// of one file per core but one ran the files one by one on a 2-core machine (582 s); three at a time
// took 350 s. The tests hold on a busy machine by design, so their neighbours are no excuse.
const concurrency = Number(process.env.STREAMFRONT_TEST_CONCURRENCY ?? 3);
const result = spawnSync(
  process.execPath,
  ['--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files],
  { stdio: 'inherit', env },
);
process.exit(result.status ?? 1);
