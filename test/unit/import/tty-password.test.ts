import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { buildPki, type Pki } from '../../fixtures/pki.js';
import { projectRoot } from '../../fixtures/project-root.js';

const CLI = fileURLToPath(new URL('../../../src/cli/cert-import.js', import.meta.url));
const hasScript = spawnSync('script', ['--version']).status === 0;

describe('password entry on a real terminal', { skip: hasScript ? false : 'script(1) is not installed' }, () => {
  let pki: Pki;
  let runDir: string;
  before(async () => {
    pki = await buildPki();
    runDir = mkdtempSync(join(tmpdir(), 'sf-tty-'));
    mkdirSync(join(runDir, 'config'));
    copyFileSync(join(projectRoot, 'config', 'streamserver.conf'), join(runDir, 'config', 'streamserver.conf'));
  });
  after(() => {
    rmSync(runDir, { recursive: true, force: true });
  });

  it('prompts on the terminal, reads the password with echo off and imports', async () => {
    // script(1) gives the command a pseudo-terminal and records all the terminal showed, so an
    // echoed password would be in the transcript. We type only after the prompt, as a person does.
    const command = [process.execPath, CLI, '-c', pki.ca.cert, '-s', pki.server.cert, '-k', pki.server.keyEncrypted]
      .map((a) => `'${a}'`)
      .join(' ');
    const transcript = join(runDir, 'transcript');
    const child = spawn('script', ['-qec', command, transcript], { cwd: runDir, stdio: ['pipe', 'pipe', 'inherit'] });
    let seen = '';
    let typed = false;
    child.stdout.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      if (!typed && seen.includes('Password of the server key: ')) {
        typed = true;
        // Echo is off before the prompt is written (src/import/password.ts): type at once.
        child.stdin.write(`${pki.password}\r`);
      }
    });
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const shown = readFileSync(transcript, 'utf8');
    assert.equal(status, 0, shown);
    assert.ok(typed, 'no prompt was shown');
    assert.ok(!shown.includes(pki.password), 'the password was echoed to the terminal');
    assert.match(readFileSync(join(runDir, 'config', 'streamserver.conf'), 'utf8'), /^server_key_mm=SFKMC1\$/m);
  });
});
