// ./run.sh --check shows what the front would warn about at start: one warning line per
// unknown item (with the item it probably meant) and per size limit broken.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { buildPki, type Pki } from '../../fixtures/pki.js';
import { importPkiInto, makeRunFolder, type RunFolder } from '../errors/run-folder.js';

describe('run.sh --check: config warnings', () => {
  let pki: Pki;
  let f: RunFolder;
  before(async () => {
    pki = await buildPki();
    f = makeRunFolder('sf-check-warn-');
    importPkiInto(f, pki);
  });
  after(() => f?.remove());

  it('warns about a typo with its line and the nearest item, and about a line over 999 characters', () => {
    const text = readFileSync(f.configPath, 'utf8');
    writeFileSync(f.configPath, `${text}max_conections=10\n# ${'x'.repeat(1000)}\n`);
    const lines = text.split('\n').length; // the typo lands on this line number (text ends with a newline)
    const res = f.run('run.sh', ['--check']);
    assert.equal(res.status, 0, res.stderr);
    const warnings = res.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: number; event?: string; msg: string })
      .filter((l) => l.event === 'config_warning');
    assert.ok(
      warnings.every((w) => w.level === 40),
      'each at warn level',
    );
    assert.equal(warnings.length, 2, res.stdout);
    assert.ok(
      warnings.some((w) =>
        w.msg.endsWith(`line ${lines}: unknown item 'max_conections' is ignored; did you mean max_connections?`),
      ),
      res.stdout,
    );
    assert.ok(
      warnings.some((w) =>
        w.msg.endsWith(`line ${lines + 1} has 1002 characters; the StreamServer reader takes at most 999`),
      ),
      res.stdout,
    );
    assert.match(res.stdout, /check passed/);
  });
});
