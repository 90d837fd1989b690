// Property tests of the parsers that read certificate, key and CRL bytes an operator (or an
// attacker who can drop a file in keys/) supplies: random bytes and real fixture files with
// flipped bytes, truncations, insertions and spliced DER lengths. Each may refuse with a typed
// error (PkiError, or a Finding with a code); none may crash otherwise, loop, or accept a CRL
// whose signed content is not what the CA signed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { parseCertificate, validateServerCert, type ParsedCert } from '../../../src/pki/certificate.js';
import { parseCrl, validateCrl, type CrlSummary } from '../../../src/pki/crl.js';
import { children, DerError, readTlv, readTlvInto, type Tlv } from '../../../src/pki/der.js';
import { hasErrors, PkiError, type Finding } from '../../../src/pki/findings.js';
import { inspectServerKey, validateServerKey } from '../../../src/pki/key.js';
import { isPem, pemBlocks, toPem } from '../../../src/pki/pem.js';
import { buildPki, type Pki } from '../../fixtures/pki.js';
import { checkTimed, isTypedError, mutated } from './settings.js';

let pki: Pki;
let ca: ParsedCert;
let crlDer: Buffer;
let crlPem: Buffer;
let original: CrlSummary;

function parsedCert(path: string, role: 'ca' | 'server-cert'): ParsedCert {
  const parsed = parseCertificate(readFileSync(path), role);
  if (!('summary' in parsed)) throw new Error(`fixture ${path} does not parse: ${parsed.message}`);
  return parsed;
}

function isFinding(x: unknown): x is Finding {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as Finding).code === 'string' &&
    ((x as Finding).severity === 'error' || (x as Finding).severity === 'warning')
  );
}

/** Walks every constructed value below `t`; asserts each header stays inside its container. */
function walk(buf: Buffer, t: Tlv, limit: number, depth: number): number {
  assert.ok(
    Number.isSafeInteger(t.start) && Number.isSafeInteger(t.bodyStart) && Number.isSafeInteger(t.end),
    `integer offsets: ${JSON.stringify(t)}`,
  );
  assert.ok(
    t.start < t.bodyStart && t.bodyStart <= t.end && t.end <= limit,
    `value inside its container (limit ${limit}): ${JSON.stringify(t)}`,
  );
  let seen = 1;
  if ((t.tag & 0x20) !== 0 && depth < 64) for (const c of children(buf, t)) seen += walk(buf, c, t.end, depth + 1);
  return seen;
}

function walkAll(buf: Buffer): void {
  try {
    for (let pos = 0; pos < buf.length; ) {
      const t = readTlv(buf, pos);
      walk(buf, t, buf.length, 0);
      pos = t.end;
    }
  } catch (err) {
    if (!(err instanceof DerError)) throw err;
  }
}

const serials = (c: CrlSummary): string[] => [...c.revokedSerials].sort();

before(async () => {
  pki = await buildPki();
  ca = parsedCert(pki.ca.cert, 'ca');
  crlDer = readFileSync(pki.crls.goodDer);
  crlPem = readFileSync(pki.crls.good);
  original = parseCrl(crlDer);
  // The properties below lean on this: the untouched CRL is accepted.
  assert.deepEqual(validateCrl(original, ca.summary, new Date()), []);
});

describe('property: DER walker', () => {
  it('random bytes: every value it returns lies inside its container, or DerError', (t) => {
    checkTimed(
      t,
      fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.from(a)),
      walkAll,
      2_000,
    );
  });

  it('mutated real CRLs: the same', (t) => {
    checkTimed(t, mutated(crlDer), walkAll, 1_000);
  });

  // The CRL's entry walk reads into one reused record (readTlvInto): it must agree with readTlv
  // at every offset, and a refused header must leave the record as the previous read left it.
  it('readTlvInto into a reused record agrees with readTlv at every offset, and a refusal leaves the record alone', (t) => {
    checkTimed(
      t,
      fc.uint8Array({ minLength: 1, maxLength: 256 }).map((a) => Buffer.from(a)),
      (buf) => {
        const record: Tlv = { tag: -1, start: -1, bodyStart: -1, end: -1 };
        for (let pos = 0; pos < buf.length; pos++) {
          const before = { ...record };
          let expected: Tlv | DerError;
          try {
            expected = readTlv(buf, pos, buf.length);
          } catch (err) {
            assert.ok(err instanceof DerError, `only DerError, got ${String(err)}`);
            expected = err;
          }
          try {
            assert.equal(readTlvInto(buf, pos, buf.length, record), record);
            assert.deepEqual(record, expected);
          } catch (err) {
            if (!(err instanceof DerError)) throw err;
            assert.ok(expected instanceof DerError, 'refused where readTlv accepted');
            assert.equal(err.message, expected.message);
            assert.deepEqual(record, before, 'a refused header leaves the record as it was');
          }
        }
      },
      1_000,
    );
  });
});

describe('property: CRL parser', () => {
  function check(bytes: Buffer): void {
    let crl: CrlSummary;
    try {
      crl = parseCrl(bytes);
    } catch (err) {
      assert.ok(err instanceof PkiError && isTypedError(err), `only PkiError, got ${String(err)}`);
      return;
    }
    const findings = validateCrl(crl, ca.summary, new Date());
    assert.ok(findings.every(isFinding));
    if (hasErrors(findings)) return;
    // Accepted: then it says exactly what the CA signed, nothing a mutation slipped in.
    assert.equal(crl.parts.length, 1);
    assert.ok(
      Buffer.from(crl.parts[0]?.tbs ?? []).equals(Buffer.from(original.parts[0]?.tbs ?? [])),
      'an accepted CRL carries the signed content unchanged',
    );
    assert.deepEqual(serials(crl), serials(original), 'an accepted CRL revokes exactly what the CA revoked');
  }

  it('mutated DER: PkiError or a finding; never an accepted CRL whose signature does not verify', (t) => {
    checkTimed(t, mutated(crlDer), check, 600);
  });

  it('mutated PEM: the same', (t) => {
    checkTimed(t, mutated(crlPem), check, 300);
  });

  it('random bytes: PkiError or a finding', (t) => {
    checkTimed(
      t,
      fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a)),
      check,
      1_000,
    );
  });
});

describe('property: certificate parser', () => {
  function check(bytes: Buffer): void {
    const parsed = parseCertificate(bytes, 'server-cert');
    if (isFinding(parsed)) return;
    assert.ok('summary' in parsed);
    assert.ok(validateServerCert(parsed, ca, new Date()).every(isFinding));
  }

  it('mutated certificates (PEM and DER): a ParsedCert or a Finding, never a throw', (t) => {
    const pem = readFileSync(pki.server.cert);
    const der = readFileSync(pki.server.certDer);
    checkTimed(t, fc.oneof(mutated(pem), mutated(der)), check, 500);
  });

  it('random bytes: a Finding', (t) => {
    checkTimed(
      t,
      fc.uint8Array({ maxLength: 400 }).map((a) => Buffer.from(a)),
      (b) => {
        const parsed = parseCertificate(b, 'ca');
        assert.ok(isFinding(parsed) || 'summary' in parsed);
      },
      1_000,
    );
  });
});

describe('property: key parser', () => {
  it('mutated encrypted keys: findings only, from inspection and from decryption with the right password', (t) => {
    const server = parsedCert(pki.server.cert, 'server-cert');
    const key = readFileSync(pki.server.keyEncrypted);
    checkTimed(
      t,
      mutated(key),
      (bytes) => {
        assert.ok(inspectServerKey(bytes).every(isFinding));
        const { findings, keyPem } = validateServerKey(bytes, pki.password, server.summary);
        assert.ok(findings.every(isFinding));
        // A key that decrypts must still be the certificate's key, or be refused.
        if (!hasErrors(findings)) assert.equal(typeof keyPem, 'string');
      },
      150,
    );
  });
});

describe('property: PEM', () => {
  it('any text: isPem and pemBlocks never throw', (t) => {
    const text = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc
        .constantFrom('-----BEGIN X509 CRL-----\n', '-----END X509 CRL-----\n', 'AAAA\n', '\r\n')
        .chain((piece) => fc.array(fc.constant(piece), { maxLength: 20 }).map((xs) => xs.join(''))),
    );
    checkTimed(
      t,
      text,
      (s) => {
        const b = Buffer.from(s);
        isPem(b);
        for (const block of pemBlocks(b, 'X509 CRL')) assert.ok(Buffer.isBuffer(block));
      },
      1_000,
    );
  });

  it('toPem then pemBlocks gives the DER back', (t) => {
    checkTimed(
      t,
      fc.uint8Array({ minLength: 1, maxLength: 300 }),
      (der) => {
        const back = pemBlocks(Buffer.from(toPem(der, 'CERTIFICATE')), 'CERTIFICATE');
        assert.equal(back.length, 1);
        assert.ok((back[0] as Buffer).equals(Buffer.from(der)));
      },
      500,
    );
  });
});
