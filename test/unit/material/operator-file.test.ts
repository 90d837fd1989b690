import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isStreamfrontError } from '../../../src/errors/error.js';
import { checkFileOwnership, readOperatorFile } from '../../../src/material/operator-file.js';

describe('operator material files', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sf-opfile-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a regular file and names a missing one', async () => {
    const path = join(dir, 'ca.crt');
    await writeFile(path, 'PEM');
    assert.equal((await readOperatorFile(path, 'ca', 'ca.crt')).bytes.toString(), 'PEM');
    await assert.rejects(
      readOperatorFile(join(dir, 'nope.crt'), 'ca', 'nope.crt'),
      (err) => isStreamfrontError(err) && err.code === 'MATERIAL_FILE_MISSING' && err.file === 'nope.crt',
    );
  });

  it('refuses a folder given as a certificate', async () => {
    await mkdir(join(dir, 'folder'));
    await assert.rejects(
      readOperatorFile(join(dir, 'folder'), 'server-cert'),
      (err) => isStreamfrontError(err) && err.code === 'MATERIAL_FILE_NOT_REGULAR',
    );
  });

  it('refuses a key with bits beyond 0640 and gives the chmod', async () => {
    const key = join(dir, 'server.key');
    await writeFile(key, 'KEY', { mode: 0o600 });
    await chmod(key, 0o644);
    await assert.rejects(
      readOperatorFile(key, 'server-key', 'server.key'),
      (err) =>
        isStreamfrontError(err) && err.code === 'MATERIAL_KEY_MODE_TOO_OPEN' && err.hint === 'chmod 600 server.key',
    );
    await chmod(key, 0o640);
    assert.equal((await readOperatorFile(key, 'server-key')).bytes.toString(), 'KEY');
  });
});

// The rule as a function of (owner, group, mode) and who we run as: tests run as root, so the
// non-root cases are decided with a given identity. test/e2e/rotation/way-kubernetes.test.ts
// runs the real front as nobody on a volume laid out the way the kubelet writes it.
describe('ownership rule: the run folder and the kubelet layout', () => {
  const FRONT = { uid: 65534, gid: 65534, groups: [2000] };
  const codeOf = (fn: () => void): string | undefined => {
    try {
      fn();
      return undefined;
    } catch (err) {
      return isStreamfrontError(err) ? err.code : String(err);
    }
  };
  const check = (
    uid: number,
    gid: number,
    mode: number,
    role: 'ca' | 'server-key' | 'crl' = 'server-key',
  ): string | undefined => codeOf(() => checkFileOwnership({ uid, gid, mode: 0o100000 | mode }, role, 'f', FRONT));

  it('our own file: unchanged, the key 0640 at most whatever its group', () => {
    assert.equal(check(65534, 65534, 0o600), undefined);
    assert.equal(check(65534, 12345, 0o640), undefined);
    assert.equal(check(65534, 65534, 0o644), 'MATERIAL_KEY_MODE_TOO_OPEN');
    assert.equal(check(65534, 65534, 0o644, 'ca'), undefined);
  });

  it('root-owned, as the kubelet writes a Secret: certificates 0644 (the default), the key 0440 with group fsGroup', () => {
    assert.equal(check(0, 0, 0o644, 'ca'), undefined);
    assert.equal(check(0, 2000, 0o444, 'crl'), undefined);
    assert.equal(check(0, 2000, 0o440), undefined);
    assert.equal(check(0, 65534, 0o440), undefined, 'our primary group');
    assert.equal(check(0, 2000, 0o400), undefined);
  });

  it('root-owned: a key another group or everybody can read is refused', () => {
    assert.equal(check(0, 0, 0o440), 'MATERIAL_KEY_MODE_TOO_OPEN', 'group root is not ours');
    assert.equal(check(0, 2000, 0o444), 'MATERIAL_KEY_MODE_TOO_OPEN', 'world-readable');
    assert.equal(check(0, 0, 0o644), 'MATERIAL_KEY_MODE_TOO_OPEN', 'the kubelet default mode without defaultMode');
  });

  it('root-owned: group- or world-writable is refused for every file', () => {
    assert.equal(check(0, 2000, 0o664, 'ca'), 'MATERIAL_FILE_WRITABLE_BY_OTHERS');
    assert.equal(check(0, 2000, 0o646, 'crl'), 'MATERIAL_FILE_WRITABLE_BY_OTHERS');
    assert.equal(check(0, 2000, 0o460), 'MATERIAL_FILE_WRITABLE_BY_OTHERS');
  });

  it('any other owner is refused, naming root as the other accepted owner', () => {
    let message = '';
    try {
      checkFileOwnership({ uid: 1000, gid: 2000, mode: 0o100440 }, 'server-key', 'k', FRONT);
    } catch (err) {
      message = (err as Error).message;
    }
    assert.equal(message, 'server private key is owned by uid 1000, not by the current user (uid 65534) or root');
  });

  it('the message and hint say what to change for a root-owned key', () => {
    try {
      checkFileOwnership({ uid: 0, gid: 0, mode: 0o100440 }, 'server-key', 'tls/server.key', FRONT);
      assert.fail('accepted');
    } catch (err) {
      assert.ok(isStreamfrontError(err));
      assert.equal(
        err.message,
        'server private key is owned by root with mode 0440: its group 0 is not one of ours (gid 65534, groups 2000)',
      );
      assert.match(err.hint ?? '', /defaultMode 0440 with securityContext\.fsGroup/);
    }
  });
});
