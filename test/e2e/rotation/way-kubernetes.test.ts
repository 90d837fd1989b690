// Way 4: a Kubernetes secret volume. The config names files in the volume; each update is a
// new folder published by swapping the `..data` link, as the kubelet does.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setConfigItems, writeConfigAtomic } from '../../../src/config/index.js';
import { buildCrl } from '../../fixtures/pki.js';
import { SecretVolume } from './rotation-kit.js';
import { runRotations } from './rotation-scenario.js';

const NAMES = ['ca.crt', 'server.crt', 'server.key', 'ca.crl'] as const;

test('way 4: Kubernetes ..data swap, under load: every rotation live within 1 s, no failed request', { timeout: 240_000 }, async (t) => {
  let volume: SecretVolume | undefined;
  const current: Record<string, string> = {};
  const publish = (changes: Record<string, string>): void => {
    Object.assign(current, changes);
    volume?.publish(current);
  };
  await runRotations(t, {
    name: 'Kubernetes ..data swap',
    async setup(front, pki) {
      const dir = join(front.runDir, 'secret-volume');
      volume = new SecretVolume(dir, NAMES);
      // A CRL the front does not serve yet, so that the switch to the volume is visible.
      const crl = await buildCrl(pki, { revoke: [pki.clients.revoked.cert] });
      publish({ 'ca.crt': pki.ca.cert, 'server.crt': pki.server.cert, 'server.key': pki.server.keyEncrypted, 'ca.crl': crl });
      const text = readFileSync(front.configPath, 'utf8');
      await writeConfigAtomic(front.configPath, setConfigItems(text, { ca_crt: join(dir, 'ca.crt'), server_crt: join(dir, 'server.crt'), server_key: join(dir, 'server.key'), crl: join(dir, 'ca.crl') }));
      await front.waitForLog((l) => l.event === 'material_reloaded' && Array.isArray(l.changed) && l.changed.includes('crl'), 5_000);
    },
    placeCrl: async (_front, crl) => publish({ 'ca.crl': crl }),
    placePair: async (_front, pair) => publish({ 'server.crt': pair.cert, 'server.key': pair.key }),
    placeCa: async (_front, ca) => publish({ 'ca.crt': ca.cert }),
  });
});
