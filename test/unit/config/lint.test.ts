// Config warnings as the operator reads them: a typo names its line and the item it meant;
// engine-only items and known items are not flagged; the size limits are each one warning.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { editDistance, listConfigWarnings, parseConfigText } from '../../../src/config/index.js';
import { projectRoot } from '../../fixtures/project-root.js';

describe('config warnings', () => {
  it('names the line and the nearest known item of a typo', () => {
    const w = listConfigWarnings(parseConfigText('port=8080\nmax_conections=10\n', 'c.conf'));
    assert.equal(w.length, 1);
    assert.equal(
      w[0]?.message,
      "c.conf: line 2: unknown item 'max_conections' is ignored; did you mean max_connections?",
    );
  });

  it('gives no suggestion for a name close to nothing, and flags no known or engine-only item', () => {
    const w = listConfigWarnings(parseConfigText('log_dir=logs\nrotate_file_number=3\nzzz_vendor_thing=1\n', 'c.conf'));
    assert.deepEqual(
      w.map((x) => [x.line, x.item, x.suggestion]),
      [[3, 'zzz_vendor_thing', undefined]],
    );
    assert.match(w[0]?.message ?? '', /remove it if it is not meant for another reader$/);
  });

  it('warns once for over 99 lines and once per line over 999 characters', () => {
    const text = `${'#\n'.repeat(99)}# ${'x'.repeat(1000)}\n`;
    const w = listConfigWarnings(parseConfigText(text, 'c.conf')).map((x) => x.message);
    assert.deepEqual(w, [
      'c.conf: has 100 lines; the StreamServer reader takes at most 99',
      'c.conf: line 100 has 1002 characters; the StreamServer reader takes at most 999',
    ]);
  });

  it('the shipped config has no warnings', () => {
    const file = join(projectRoot, 'config', 'streamserver.conf');
    assert.deepEqual(listConfigWarnings(parseConfigText(readFileSync(file, 'utf8'), file)), []);
  });

  it('edit distance counts insertions, deletions and substitutions', () => {
    assert.equal(editDistance('max_conections', 'max_connections'), 1);
    assert.equal(editDistance('prot', 'port'), 2);
    assert.equal(editDistance('', 'abc'), 3);
  });
});
