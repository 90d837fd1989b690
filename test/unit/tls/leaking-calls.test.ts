// Node calls that the soak found to leak, kept out of src/. getPeerX509Certificate() on a server
// socket keeps about 4.5 KB of native memory per connection on Node 20 (docs/performance.md, Soak:
// 52 MB in 66,000 requests with a quarter of fresh connections). Its cost shows only after
// thousands of handshakes, far more than a unit test makes, so the call itself is what is checked;
// `npm run soak` measures the memory.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { projectRoot } from '../../fixtures/project-root.js';

const LEAKING = [{ call: 'getPeerX509Certificate(', instead: 'getPeerCertificate(true) and its raw DER' }];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

test('no source file calls a Node API that leaks native memory per connection', () => {
  const files = sources(join(projectRoot, 'src'));
  assert.ok(files.length > 50, `found ${files.length} source files`);
  const found: string[] = [];
  for (const file of files) {
    const lines = readFileSync(file, 'utf8').split('\n');
    for (const [i, line] of lines.entries()) {
      if (line.trimStart().startsWith('//')) continue;
      for (const { call, instead } of LEAKING)
        if (line.includes(call)) found.push(`${relative(projectRoot, file)}:${i + 1} calls ${call}); use ${instead}`);
    }
  }
  assert.deepEqual(found, []);
});
