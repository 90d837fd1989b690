// A flood of client-provoked log lines costs a bounded number of lines, and the lines skipped are
// reported on the next one written; time is a fake clock.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildRateLimitedWriter, type LogFields } from '../../../src/server/rate-limited-log.js';

describe('rate-limited log', () => {
  it('writes the burst, then perSecond lines a second, and says how many it skipped', () => {
    let now = 0;
    const written: LogFields[] = [];
    const write = buildRateLimitedWriter((fields) => written.push(fields), { perSecond: 10, burst: 5, now: () => now });
    for (let i = 0; i < 1000; i++) write({ i }, 'refused');
    assert.equal(written.length, 5, 'a flood at one instant writes the burst only');
    now += 1000;
    for (let i = 0; i < 1000; i++) write({ i }, 'refused');
    // One second refills ten tokens, capped at the burst of five.
    assert.equal(written.length, 10);
    assert.equal(written[5]?.skippedLines, 995, 'the first line after a gap counts what was skipped');
    assert.equal(written[6]?.skippedLines, undefined);
    now += 100;
    write({ last: true }, 'refused');
    assert.deepEqual(written[10], { last: true, skippedLines: 995 });
  });

  it('never writes more than burst + perSecond x seconds over a long flood', () => {
    let now = 0;
    let count = 0;
    const write = buildRateLimitedWriter(() => count++, { perSecond: 10, burst: 50, now: () => now });
    for (let ms = 0; ms < 60_000; ms += 1) {
      now = ms;
      write({}, 'x');
    }
    assert.ok(count <= 50 + 10 * 60 + 1, `${count} lines in 60 s of one event per ms`);
    assert.ok(count >= 10 * 60, `${count} lines: the steady rate is kept`);
  });
});
