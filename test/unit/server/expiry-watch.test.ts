// The daily expiry check with a fake clock: a certificate 40 days from expiry is logged once
// on entering its last 30 days, once at 7, then as expired; the metric follows each reload.
import assert from 'node:assert/strict';
import { afterEach, describe, it, mock } from 'node:test';
import { startExpiryWatch } from '../../../src/server/expiry-watch.js';

const DAY = 86_400_000;

describe('daily certificate expiry check', () => {
  afterEach(() => mock.timers.reset());

  it('warns at 30 and 7 days and errors once expired, one line each, with fake timers', () => {
    const start = Date.UTC(2030, 0, 1);
    mock.timers.enable({ apis: ['setInterval', 'Date'], now: start });
    const lines: Array<[string, Record<string, unknown>]> = [];
    const expiry: Record<string, Date | undefined> = {};
    const material = {
      serverCert: { subject: 'CN=server', notAfter: new Date(start + 40 * DAY + 3_600_000) },
      ca: { subject: 'CN=ca', notAfter: new Date(start + 3650 * DAY) },
    };
    const watch = startExpiryWatch({
      material: () => material,
      metrics: { setMaterialExpiry: (kind, at) => void (expiry[kind] = at) },
      logger: {
        warn: (o) => lines.push(['warn', o as Record<string, unknown>]),
        error: (o) => lines.push(['error', o as Record<string, unknown>]),
      },
    });
    assert.equal(expiry.server_cert?.getTime(), material.serverCert.notAfter.getTime());
    mock.timers.tick(9 * DAY); // 31 days + 1 h left: not yet
    assert.equal(lines.length, 0);
    mock.timers.tick(DAY); // 30 days left
    assert.deepEqual(
      lines.map(([l, o]) => [l, o.kind, o.threshold, o.daysLeft]),
      [['warn', 'server_cert', 30, 30]],
    );
    mock.timers.tick(22 * DAY); // 8 days: same band, no repeat
    assert.equal(lines.length, 1);
    mock.timers.tick(DAY); // 7 days
    assert.deepEqual(lines.map(([l, o]) => [l, o.threshold, o.daysLeft]).at(-1), ['warn', 7, 7]);
    mock.timers.tick(8 * DAY); // past
    assert.deepEqual(lines.map(([l, o]) => [l, o.kind]).at(-1), ['error', 'server_cert']);
    assert.equal(lines.length, 3);
    watch.stop();
  });

  it('does not repeat at start what the loader already said, and follows a renewed certificate', () => {
    const start = Date.UTC(2030, 0, 1);
    mock.timers.enable({ apis: ['setInterval', 'Date'], now: start });
    const lines: string[] = [];
    const expiry: Record<string, Date | undefined> = {};
    let material = {
      serverCert: { subject: 'CN=s', notAfter: new Date(start + 20 * DAY) },
      ca: { subject: 'CN=ca', notAfter: new Date(start + 3650 * DAY) },
    };
    const watch = startExpiryWatch({
      material: () => material,
      metrics: { setMaterialExpiry: (kind, at) => void (expiry[kind] = at) },
      logger: { warn: (_o, m) => lines.push(m), error: (_o, m) => lines.push(m) },
    });
    mock.timers.tick(DAY);
    assert.deepEqual(lines, [], '20 -> 19 days: the start-up warning already covered the 30-day band');
    material = { ...material, serverCert: { subject: 'CN=s', notAfter: new Date(start + 400 * DAY) } };
    mock.timers.tick(DAY);
    assert.equal(expiry.server_cert?.getTime(), start + 400 * DAY);
    assert.deepEqual(lines, []);
    watch.stop();
  });
});

describe('expiry check of a CA bundle', () => {
  afterEach(() => mock.timers.reset());

  it('watches the CA of the bundle that expires first', () => {
    const start = Date.UTC(2030, 0, 1);
    mock.timers.enable({ apis: ['setInterval', 'Date'], now: start });
    const lines: Array<Record<string, unknown>> = [];
    const expiry: Record<string, Date | undefined> = {};
    const root = { subject: 'CN=root', notAfter: new Date(start + 3650 * DAY) };
    const intermediate = { subject: 'CN=intermediate', notAfter: new Date(start + 10 * DAY) };
    const material = {
      serverCert: { subject: 'CN=s', notAfter: new Date(start + 300 * DAY) },
      ca: root,
      caBundle: [root, intermediate],
    };
    const watch = startExpiryWatch({
      material: () => material,
      metrics: { setMaterialExpiry: (kind, at) => void (expiry[kind] = at) },
      logger: {
        warn: (o) => lines.push(o as Record<string, unknown>),
        error: (o) => lines.push(o as Record<string, unknown>),
      },
    });
    assert.equal(expiry.ca?.getTime(), intermediate.notAfter.getTime());
    mock.timers.tick(4 * DAY); // 6 days left: the 7-day warning names the intermediate
    assert.deepEqual(
      lines.map((o) => [o.kind, o.subject, o.threshold]),
      [['ca', 'CN=intermediate', 7]],
    );
    watch.stop();
  });
});
