// The revocation guard's clock, on a fake clock: the CRL's nextUpdate passing flips refuse-all
// (or only logs under keep-enforcing), and a fresh CRL ends it; no test waits on real time.
import { describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { Writable } from 'node:stream';
import { RevokedSerials } from '../../../src/pki/revoked-serials.js';
import { RevocationGuard } from '../../../src/server/revocation-guard.js';
import type { FrontCrl } from '../../../src/tls/types.js';
import type { PeerIdentity } from '../../../src/tls/peer.js';
import { hashSerialKey, serialKeyFromHex } from '../../../src/pki/serial-key.js';

function logCapture(): { logger: pino.Logger; lines: Array<{ level: number; msg: string }> } {
  const lines: Array<{ level: number; msg: string }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

const crlUntil = (nextUpdate: Date): FrontCrl => ({
  revokedSerials: RevokedSerials.fromHex(['1']),
  issuerKey: 'cn=ca',
  nextUpdate,
});

describe('revocation guard', () => {
  it('refuse-all: refuses every client once nextUpdate passes, until a fresh CRL lands', async () => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
    try {
      const { logger, lines } = logCapture();
      const guard = new RevocationGuard(crlUntil(new Date(1_000_000 + 60_000)), 'refuse-all', logger);
      guard.start();
      assert.equal(guard.isRefusingAll, false);
      mock.timers.tick(59_000);
      assert.equal(guard.isRefusingAll, false);
      mock.timers.tick(2_000);
      assert.equal(guard.isRefusingAll, true);
      assert.deepEqual(guard.status(), { hasCrl: true, isExpired: true, isRefusingAll: true, entries: 1 });
      await new Promise((resolve) => setImmediate(resolve));
      assert.ok(lines.some((l) => l.level === 50 && /refusing all clients/.test(l.msg)));
      assert.equal(guard.replace(crlUntil(new Date(Date.now() + 60_000))), true, 'a new nextUpdate is a change');
      assert.equal(guard.isRefusingAll, false);
      guard.stop();
    } finally {
      mock.timers.reset();
    }
  });

  it('keep-enforcing: logs once, keeps serving, keeps the set', async () => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 5_000 });
    try {
      const { logger, lines } = logCapture();
      const guard = new RevocationGuard(crlUntil(new Date(6_000)), 'keep-enforcing', logger);
      guard.start();
      mock.timers.tick(10_000);
      assert.equal(guard.isRefusingAll, false);
      assert.equal(guard.status().isExpired, true);
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(lines.filter((l) => /still enforcing the last CRL/.test(l.msg)).length, 1);
      assert.equal(guard.replace(crlUntil(new Date(6_000))), false, 'the same CRL again is no change');
      guard.stop();
    } finally {
      mock.timers.reset();
    }
  });

  it("with a CA bundle: counts every issuer's entries, and revokes by the issuer of the client or of its intermediate", () => {
    const { logger } = logCapture();
    const serialKey = (hex: string): { serialKey: Uint8Array; serialHash: number } => {
      const key = serialKeyFromHex(hex) as Uint8Array;
      return { serialKey: key, serialHash: hashSerialKey(key, 0) };
    };
    const crl: FrontCrl = {
      revokedSerials: RevokedSerials.fromHex(['AA']),
      issuerKey: 'cn=root',
      nextUpdate: undefined,
      otherIssuers: [{ issuerKey: 'cn=intermediate', revokedSerials: RevokedSerials.fromHex(['1', '2']) }],
    };
    const guard = new RevocationGuard(crl, 'keep-enforcing', logger);
    assert.equal(guard.revokedCount, 3);
    assert.equal(guard.status().entries, 3);
    const client = (issuerKey: string, serial: string, chain: PeerIdentity['chain'] = []): PeerIdentity => ({
      serial,
      subject: 'CN=c',
      xfcc: '',
      issuerKey,
      ...serialKey(serial),
      chain,
    });
    assert.equal(guard.isRevoked(client('cn=intermediate', '2')), true);
    assert.equal(guard.isRevoked(client('cn=root', '2')), false, "serial 2 is the intermediate's, not the root's");
    assert.equal(guard.isRevoked(client('cn=other', '1')), false);
    const revokedIntermediate = { issuerKey: 'cn=root', ...serialKey('AA') };
    assert.equal(guard.isRevoked(client('cn=intermediate', '7', [revokedIntermediate])), true);
    // A CRL file that changes only the intermediate's list is a change.
    const next: FrontCrl = {
      ...crl,
      otherIssuers: [{ issuerKey: 'cn=intermediate', revokedSerials: RevokedSerials.fromHex(['1', '3']) }],
    };
    assert.equal(guard.replace(next), true);
    assert.equal(guard.replace(next), false);
  });
});
