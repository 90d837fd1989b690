import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../fixtures/project-root.js';
import {
  CONFIG_ITEMS,
  ENGINE_ONLY_ITEMS,
  MAX_LINES,
  MAX_LINE_CHARS,
  parseConfigText,
  readFrontConfig,
} from '../../../src/config/index.js';

const file = join(projectRoot, 'config', 'streamserver.conf');
const text = readFileSync(file, 'utf8');
const parsed = parseConfigText(text, file);

test('the shipped config fits the native reader (lines and line length)', () => {
  const lines = text.split('\n').slice(0, text.endsWith('\n') ? -1 : undefined);
  assert.ok(lines.length <= MAX_LINES, `${lines.length} lines`);
  for (const l of lines) assert.ok(l.length <= MAX_LINE_CHARS);
  assert.deepEqual(parsed.warnings, []);
});

test('every item the front reads is in the shipped config with its default and a comment above', () => {
  const lines = text.split('\n');
  for (const spec of Object.values(CONFIG_ITEMS)) {
    const item = parsed.items.get(spec.item);
    assert.ok(item !== undefined, `${spec.item} missing from the shipped config`);
    assert.equal(item.lines.length, 1, `${spec.item} set once`);
    assert.equal(item.value, spec.defaultText, `${spec.item} shows its default`);
    const above = lines[(item.lines[0] as number) - 2] ?? '';
    assert.ok(
      above.startsWith('#') || parsed.items.has(above.split('=')[0] ?? ''),
      `${spec.item} has a comment above its group`,
    );
  }
  for (const engineItem of ENGINE_ONLY_ITEMS) {
    assert.equal(
      parsed.items.get(engineItem.item)?.value,
      engineItem.defaultText,
      `${engineItem.item} kept with its default`,
    );
  }
});

test('the material items are present and empty', () => {
  for (const item of ['ca_crt', 'server_crt', 'server_key', 'crl', 'server_key_mm']) {
    assert.equal(parsed.items.get(item)?.value, '', item);
  }
});

test('the shipped config reads as the defaults', () => {
  assert.deepEqual(readFrontConfig(parsed), readFrontConfig(parseConfigText('', 'empty.conf')));
});

test('docs/config.md has a row for every item with the default from the items table', () => {
  const docs = readFileSync(join(projectRoot, 'docs', 'config.md'), 'utf8');
  for (const spec of [...Object.values(CONFIG_ITEMS), ...ENGINE_ONLY_ITEMS]) {
    const row = docs.split('\n').find((l) => l.startsWith(`| \`${spec.item}\` |`));
    assert.ok(row !== undefined, `${spec.item} documented`);
    const shown = spec.defaultText === '' ? '(empty)' : `\`${spec.defaultText}\``;
    assert.ok(row.includes(`| ${shown}`), `${spec.item} shows default ${shown}`);
  }
});
