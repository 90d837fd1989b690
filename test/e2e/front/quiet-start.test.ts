// With log_level=fatal the front logs nothing else, but the start-up line with the pid (where
// the README sends operators for kill -HUP) is still written.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startFrontProcess, type FrontProcess } from '../../fixtures/front-process.js';

describe('e2e front: log_level=fatal', () => {
  let front: FrontProcess;
  before(async () => {
    front = await startFrontProcess({ config: { log_level: 'fatal' } });
  });
  after(async () => {
    await front?.stop();
  });

  it('still writes "streamfront serving" with the pid, and nothing below fatal besides', () => {
    const lines = front.logLines();
    const serving = lines.find((l) => l.msg === 'streamfront serving');
    assert.equal(serving?.pid, front.pid);
    assert.deepEqual(
      lines.filter((l) => l !== serving && (l.level as number) < 60),
      [],
      'no other line below fatal',
    );
  });
});
