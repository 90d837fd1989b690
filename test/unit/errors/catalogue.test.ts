// The catalogue against its documentation and its tests: every code is documented in
// docs/errors.md under its area, the page names no code that does not exist, and every code
// is provoked by some test. Codes are read from the catalogue and the codes files at run
// time, so a code added anywhere is checked without touching this file.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { before, describe, it } from 'node:test';
import { catalogue, type ErrorDef } from '../../../src/errors/catalogue.js';
import { projectRoot } from '../../fixtures/project-root.js';
import { BUILD_ROOT } from './run-folder.js';

const DOCS = join(projectRoot, 'docs', 'errors.md');
const THIS_TEST = join('test', 'unit', 'errors', 'catalogue.test.ts');

/**
 * Codes no code path can produce today, with the reason. Each entry is checked below: the code
 * must exist, no source may produce it, and no test may mention it (then it belongs elsewhere).
 */
const NEVER_PRODUCED: Readonly<Record<string, string>> = {};

const codes = Object.keys(catalogue).sort();
const CODE_TOKEN = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/;
/** First segments of the catalogue's codes (CLI, PKI, KMC, ...): a backticked token with one of them is meant as a code. */
const prefixes = new Set(codes.map((c) => c.split('_')[0] as string));

function listFiles(dir: string, ext: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...listFiles(path, ext));
    else if (name.endsWith(ext) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

function mentions(text: string, code: string): boolean {
  return new RegExp(`(?<![A-Za-z0-9_])${code}(?![A-Za-z0-9_])`).test(text);
}

interface DocEntry {
  readonly code: string;
  readonly area: string | undefined;
  readonly line: number;
  readonly body: string;
}

/** The `### \`CODE\`` entries of the page, each with the area of the `## ... (src/errors/codes/<area>.ts)` above it. */
function parseDocs(text: string): { entries: DocEntry[]; tokens: Set<string>; exit2Codes: Set<string> } {
  const entries: DocEntry[] = [];
  const tokens = new Set<string>();
  let exit2Codes = new Set<string>();
  let area: string | undefined;
  let current: { code: string; area: string | undefined; line: number; body: string[] } | undefined;
  const flush = (): void => {
    if (current !== undefined)
      entries.push({ code: current.code, area: current.area, line: current.line, body: current.body.join('\n') });
    current = undefined;
  };
  text.split('\n').forEach((line, i) => {
    for (const m of line.matchAll(/`([^`\n]+)`/g)) if (CODE_TOKEN.test(m[1] as string)) tokens.add(m[1] as string);
    if (/^\|\s*2\s*\|/.test(line))
      exit2Codes = new Set([...line.matchAll(/`([A-Z0-9_]+)`/g)].map((m) => m[1] as string));
    if (line.startsWith('## ')) {
      flush();
      area = /\(src\/errors\/codes\/([\w-]+)\.ts\)/.exec(line)?.[1];
      return;
    }
    const heading = /^###\s+`([^`]+)`\s*$/.exec(line);
    if (heading !== null) {
      flush();
      current = { code: heading[1] as string, area, line: i + 1, body: [] };
      return;
    }
    current?.body.push(line);
  });
  flush();
  return { entries, tokens, exit2Codes };
}

describe('error catalogue', () => {
  let docs: ReturnType<typeof parseDocs>;
  let areaOf: Map<string, string>;
  let testSources: Array<{ path: string; text: string }>;
  let srcSources: Array<{ path: string; text: string }>;

  before(async () => {
    docs = parseDocs(readFileSync(DOCS, 'utf8'));
    // Each codes file (compiled beside this test) exports one object of codes; its name is the area.
    areaOf = new Map();
    const codesDir = join(BUILD_ROOT, 'src', 'errors', 'codes');
    for (const file of readdirSync(codesDir)
      .filter((n) => n.endsWith('.js'))
      .sort()) {
      const mod = (await import(pathToFileURL(join(codesDir, file)).href)) as Record<string, unknown>;
      for (const exported of Object.values(mod)) {
        if (typeof exported !== 'object' || exported === null) continue;
        for (const code of Object.keys(exported)) areaOf.set(code, basename(file, '.js'));
      }
    }
    testSources = listFiles(join(projectRoot, 'test'), '.ts')
      .filter((p) => relative(projectRoot, p) !== THIS_TEST)
      .map((path) => ({ path, text: readFileSync(path, 'utf8') }));
    srcSources = listFiles(join(projectRoot, 'src'), '.ts')
      .filter((p) => !relative(projectRoot, p).startsWith(join('src', 'errors')))
      .map((path) => ({ path, text: readFileSync(path, 'utf8') }));
  });

  it('holds every code of every codes file, and only those', () => {
    const notInCatalogue = [...areaOf.keys()].filter((c) => !(c in catalogue)).sort();
    const noCodesFile = codes.filter((c) => !areaOf.has(c));
    assert.deepEqual(
      notInCatalogue,
      [],
      `codes defined in src/errors/codes/ but not spread into src/errors/catalogue.ts: ${notInCatalogue.join(', ')}`,
    );
    assert.deepEqual(
      noCodesFile,
      [],
      `catalogue codes with no src/errors/codes/<area>.ts file: ${noCodesFile.join(', ')}`,
    );
  });

  it('documents every code in docs/errors.md, under the section of its area', () => {
    const documented = new Map(docs.entries.map((e) => [e.code, e]));
    const missing = codes.filter((c) => !documented.has(c));
    assert.deepEqual(
      missing,
      [],
      `codes missing from docs/errors.md (add a "### \`CODE\`" entry under its area): ${missing.join(', ')}`,
    );
    const misplaced = codes
      .filter((c) => documented.get(c)?.area !== areaOf.get(c))
      .map(
        (c) =>
          `${c} (line ${documented.get(c)?.line}: under ${documented.get(c)?.area ?? 'no area'}, belongs to ${areaOf.get(c) ?? '?'})`,
      );
    assert.deepEqual(misplaced, [], `codes documented under the wrong area: ${misplaced.join('; ')}`);
  });

  it('names no code in docs/errors.md that is not in the catalogue, and documents each code once', () => {
    const unknownEntries = docs.entries.filter((e) => !(e.code in catalogue)).map((e) => `${e.code} (line ${e.line})`);
    assert.deepEqual(
      unknownEntries,
      [],
      `docs/errors.md documents codes that are not in the catalogue: ${unknownEntries.join(', ')}`,
    );
    const unknownMentions = [...docs.tokens]
      .filter((t) => prefixes.has(t.split('_')[0] as string) && !(t in catalogue))
      .sort();
    assert.deepEqual(
      unknownMentions,
      [],
      `docs/errors.md mentions codes that are not in the catalogue: ${unknownMentions.join(', ')}`,
    );
    const seen = new Set<string>();
    const twice = docs.entries
      .filter((e) => (seen.has(e.code) ? true : (seen.add(e.code), false)))
      .map((e) => `${e.code} (line ${e.line})`);
    assert.deepEqual(twice, [], `codes documented more than once: ${twice.join(', ')}`);
  });

  it('gives every documented code what it means and what to do', () => {
    const incomplete = docs.entries
      .filter((e) => !/\*\*Means:\*\*\s*\S/.test(e.body) || !/\*\*Fix:\*\*\s*\S/.test(e.body))
      .map((e) => `${e.code} (line ${e.line})`);
    assert.deepEqual(incomplete, [], `entries without a "**Means:**" or a "**Fix:**": ${incomplete.join(', ')}`);
  });

  it('names exactly the usage codes (exit code 2) in the exit-code table', () => {
    const usage = codes.filter((c) => (catalogue[c as keyof typeof catalogue] as ErrorDef).exitCode === 2);
    assert.deepEqual(
      [...docs.exit2Codes].sort(),
      usage,
      'the "| 2 |" row of docs/errors.md must name every code with exit code 2, and only those',
    );
  });

  it('has every code provoked by some test (the code appears in a test source under test/)', () => {
    const untested = codes.filter((c) => !(c in NEVER_PRODUCED) && !testSources.some((s) => mentions(s.text, c)));
    assert.deepEqual(
      untested,
      [],
      `codes no test provokes (write a test that triggers each and asserts its code): ${untested.join(', ')}`,
    );
  });

  it('lists as never produced only codes that exist, that no source produces and that no test mentions', () => {
    const producing = (code: string): RegExp =>
      new RegExp(`(?:StreamfrontError\\(\\s*|code:\\s*|error\\(\\s*|warning\\(\\s*)['"]${code}['"]`);
    for (const code of Object.keys(NEVER_PRODUCED)) {
      assert.ok(
        code in catalogue,
        `${code} is listed as never produced but is not in the catalogue: remove it from NEVER_PRODUCED`,
      );
      const producers = srcSources
        .filter((s) => producing(code).test(s.text))
        .map((s) => relative(projectRoot, s.path));
      assert.deepEqual(
        producers,
        [],
        `${code} is now produced (${producers.join(', ')}): remove it from NEVER_PRODUCED and test it`,
      );
      const tests = testSources.filter((s) => mentions(s.text, code)).map((s) => relative(projectRoot, s.path));
      assert.deepEqual(
        tests,
        [],
        `${code} is now mentioned by tests (${tests.join(', ')}): remove it from NEVER_PRODUCED`,
      );
    }
  });
});
