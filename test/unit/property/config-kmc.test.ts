// Property tests of the text parsers an operator's files go through: streamserver.conf (read
// and line-preserving edit) and the KMC keystore and ciphertext formats. Any text may be
// refused with a typed error or a reason; none may throw otherwise, and the config writer
// must keep every byte it was not asked to change.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { setConfigItems } from '../../../src/config/edit.js';
import { parseConfigText } from '../../../src/config/parse.js';
import { buildCiphertext, parseCiphertext } from '../../../src/kmc/ciphertext.js';
import { buildBodyText, buildKeystoreText, parseKeystoreText, type KeystoreBody } from '../../../src/kmc/format.js';
import { checkTimed, isTypedError } from './settings.js';

const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,11}$/);
const plainValue = fc.stringMatching(/^[A-Za-z0-9_./:$-]{0,20}$/);
// Config-like lines: items with spaces around '=', comments, blanks, sections, junk, CRLF.
const line = fc.oneof(
  fc.tuple(name, fc.constantFrom('=', ' = ', '=  ', '\t=\t'), plainValue).map(([k, eq, v]) => `${k}${eq}${v}`),
  fc.string({ maxLength: 30 }).map((s) => `# ${s.replace(/[\r\n]/g, '')}`),
  fc.constantFrom('', '   ', '[section]', '; note', '=novalue', 'no equals'),
  fc.string({ maxLength: 40 }).map((s) => s.replace(/[\r\n]/g, '')),
);
const configText = fc
  .tuple(fc.array(line, { maxLength: 20 }), fc.constantFrom('\n', '\r\n'), fc.boolean())
  .map(([ls, eol, isFinal]) => ls.join(eol) + (isFinal && ls.length > 0 ? eol : ''));

describe('property: config reader and writer', () => {
  it('any text reads without throwing, or with a typed error', (t) => {
    checkTimed(
      t,
      fc.oneof(configText, fc.string({ maxLength: 400 })),
      (text) => {
        try {
          parseConfigText(text, 'streamserver.conf');
        } catch (err) {
          assert.ok(isTypedError(err), String(err));
        }
      },
      1_000,
    );
  });

  it('an edit with nothing to change gives back every byte', (t) => {
    checkTimed(
      t,
      fc.oneof(configText, fc.string({ maxLength: 400 })),
      (text) => {
        assert.equal(setConfigItems(text, {}), text);
      },
      1_000,
    );
  });

  it('an edit changes only the value it names: its first line reads back the new value, every other line is byte for byte the same', (t) => {
    const arb = fc.tuple(configText, name, plainValue);
    checkTimed(
      t,
      arb,
      ([text, item, value]) => {
        let out: string;
        try {
          out = setConfigItems(text, { [item]: value });
        } catch (err) {
          assert.ok(isTypedError(err), String(err));
          return;
        }
        const before = parseConfigText(text, 'c');
        const after = parseConfigText(out, 'c');
        assert.equal(after.items.get(item)?.value, value, 'the named item reads back the new value');
        for (const [key, it] of before.items) {
          if (key !== item) assert.deepEqual(after.items.get(key)?.values, it.values, `${key} unchanged`);
        }
        const a = text.split('\n');
        const b = out.split('\n');
        const edited = before.items.get(item)?.lines[0];
        if (edited !== undefined) {
          assert.equal(b.length, a.length, 'an existing item is edited in place');
          for (let i = 0; i < a.length; i++) if (i !== edited - 1) assert.equal(b[i], a[i], `line ${i + 1} unchanged`);
        } else {
          // A new item is appended: everything before it is the old text (plus a line end).
          assert.ok(out.startsWith(text), 'the old text is kept in front of the appended item');
        }
      },
      1_000,
    );
  });
});

const body: KeystoreBody = {
  format: 'streamfront-kmc',
  version: 1,
  generation: 3,
  domain: 0,
  written: '2026-01-01T00:00:00.000Z',
  rootMaterial: 'cm9vdC1tYXRlcmlhbC1mb3ItdGVzdHM',
  operatorSecret: null,
  masterKeys: [
    {
      id: 1,
      state: 'active',
      created: '2026-01-01T00:00:00.000Z',
      expires: '2027-01-01T00:00:00.000Z',
      wrapped: 'd3JhcHBlZA',
    },
  ],
} as unknown as KeystoreBody;

function mutatedText(original: string): fc.Arbitrary<string> {
  const at = fc.nat({ max: original.length - 1 });
  return fc.oneof(
    fc
      .tuple(at, fc.string({ minLength: 1, maxLength: 3 }))
      .map(([i, s]) => original.slice(0, i) + s + original.slice(i + 1)),
    fc.nat({ max: original.length }).map((n) => original.slice(0, n)),
    fc.tuple(at, fc.string({ maxLength: 8 })).map(([i, s]) => original.slice(0, i) + s + original.slice(i)),
  );
}

describe('property: KMC keystore and ciphertext', () => {
  it('a real keystore text reads back; mutated or random text gives a reason or a parse, never a throw', (t) => {
    const text = buildKeystoreText(buildBodyText(body), Buffer.alloc(32, 1));
    const parsed = parseKeystoreText(text);
    assert.notEqual(typeof parsed, 'string', `the untouched keystore parses: ${String(parsed)}`);
    checkTimed(
      t,
      fc.oneof(mutatedText(text), fc.string({ maxLength: 300 })),
      (s) => {
        const out = parseKeystoreText(s);
        assert.ok(typeof out === 'string' || typeof out.bodyText === 'string');
      },
      1_000,
    );
  });

  const fields = fc.record({
    domain: fc.integer({ min: 0, max: 999_999_999 }),
    keyId: fc.integer({ min: 0, max: 999_999_999 }),
    algorithmId: fc.constantFrom(8 as const, 9 as const),
    salt: fc.uint8Array({ maxLength: 32 }).map((a) => Buffer.from(a)),
    nonce: fc.uint8Array({ maxLength: 16 }).map((a) => Buffer.from(a)),
    data: fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
    tag: fc.uint8Array({ maxLength: 16 }).map((a) => Buffer.from(a)),
  });

  it('a built ciphertext parses back to the same fields', (t) => {
    checkTimed(
      t,
      fields,
      (f) => {
        assert.deepEqual(parseCiphertext(buildCiphertext(f), 'server_key_mm'), { ...f }); // fc.record has no prototype
      },
      500,
    );
  });

  it('mutated and random ciphertexts: a KMC_CIPHERTEXT_* error or a parse, never another throw', (t) => {
    const arb = fields.chain((f) =>
      fc.oneof(
        mutatedText(buildCiphertext(f)),
        fc.string({ maxLength: 120 }).map((s) => `SFKMC${s}`),
        fc.string({ maxLength: 120 }),
      ),
    );
    checkTimed(
      t,
      arb,
      (s) => {
        try {
          parseCiphertext(s, 'server_key_mm');
        } catch (err) {
          assert.ok(isTypedError(err) && /^KMC_CIPHERTEXT_/.test((err as { code: string }).code), String(err));
        }
      },
      1_000,
    );
  });
});
