// Way 4: a Kubernetes secret volume, as the kubelet writes it for a pod with runAsUser,
// runAsGroup and fsGroup: files owned by root, group fsGroup, mode defaultMode 0440; each update
// is a new folder published by swapping the `..data` link. The front runs as nobody with the
// fsGroup as its supplementary group, so the ownership rule meets the real layout.
import assert from 'node:assert/strict';
import { chownSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setConfigItems } from '../../../src/config/index.js';
import { buildCrl } from '../../fixtures/pki.js';
import { SecretVolume } from './rotation-kit.js';
import { runRotations } from './rotation-scenario.js';

const NAMES = ['ca.crt', 'server.crt', 'server.key', 'ca.crl'] as const;
const NOBODY = 65534;
const FS_GROUP = 2000;

test('way 4: Kubernetes ..data swap (root-owned, defaultMode 0440, fsGroup; the front as nobody), under load: every rotation live within 1 s (front commit), no failed request', {
  timeout: 240_000,
}, async (t) => {
  let volume: SecretVolume | undefined;
  const current: Record<string, string> = {};
  const publish = (changes: Record<string, string>): void => {
    Object.assign(current, changes);
    volume?.publish(current);
  };
  await runRotations(t, {
    name: 'Kubernetes ..data swap',
    frontOptions: { runAs: { uid: NOBODY, gid: NOBODY, groups: [FS_GROUP] } },
    async setup(front, pki) {
      const status = readFileSync(`/proc/${front.pid}/status`, 'utf8');
      assert.match(status, new RegExp(`^Uid:\\s+${NOBODY}\\s`, 'm'), 'the front runs as nobody');
      assert.match(
        status,
        new RegExp(`^Groups:\\s+${FS_GROUP}\\s*$`, 'm'),
        'with the fsGroup as its only supplementary group',
      );
      const dir = join(front.runDir, 'secret-volume');
      volume = new SecretVolume(dir, NAMES, { defaultMode: 0o440, fsGroup: FS_GROUP });
      // A CRL the front does not serve yet, so that the switch to the volume is visible.
      const crl = await buildCrl(pki, { revoke: [pki.clients.revoked.cert] });
      publish({
        'ca.crt': pki.ca.cert,
        'server.crt': pki.server.cert,
        'server.key': pki.server.keyEncrypted,
        'ca.crl': crl,
      });
      // The config stays the front's own file (run folder rule): written beside it, handed over, renamed in.
      const text = setConfigItems(readFileSync(front.configPath, 'utf8'), {
        ca_crt: join(dir, 'ca.crt'),
        server_crt: join(dir, 'server.crt'),
        server_key: join(dir, 'server.key'),
        crl: join(dir, 'ca.crl'),
      });
      const temp = `${front.configPath}.new`;
      writeFileSync(temp, text, { mode: 0o600 });
      chownSync(temp, NOBODY, NOBODY);
      renameSync(temp, front.configPath);
      await front.waitForLog(
        (l) => l.event === 'material_reloaded' && Array.isArray(l.changed) && l.changed.includes('crl'),
        5_000,
      );
    },
    placeCrl: async (_front, crl) => publish({ 'ca.crl': crl }),
    placePair: async (_front, pair) => publish({ 'server.crt': pair.cert, 'server.key': pair.key }),
    placeCa: async (_front, ca) => publish({ 'ca.crt': ca.cert }),
  });
});
