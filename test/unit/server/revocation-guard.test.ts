// The revocation guard's clock, on a fake clock: the CRL's nextUpdate passing flips refuse-all
// (or only logs under keep-enforcing), and a fresh CRL ends it; no test waits on real time.
import { describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { Writable } from 'node:stream';
import { RevokedSerials } from '../../../src/pki/revoked-serials.js';
import { RevocationGuard } from '../../../src/server/revocation-guard.js';
import type { FrontCrl } from '../../../src/tls/types.js';

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
});
