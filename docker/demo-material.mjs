// The compose demo's one-shot step: the same throw-away PKI and real import as ./run.sh --demo,
// made at run time in the shared volume (no key is ever in the image or the repository), then
// the config pointed at the compose network: listen on every interface, the engine service.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { prepareDemo } from '../dist/src/demo/prepare-demo.js';
import { setConfigItems } from '../dist/src/config/index.js';

const engineUrl = process.env.STREAMFRONT_DEMO_ENGINE_URL ?? 'http://engine:8080';
const demo = await prepareDemo(
  process.cwd(),
  new URL('../config/streamserver.conf', import.meta.url).pathname,
  (line) => console.error(line),
);
await demo.engine.close();
const text = await readFile(demo.configPath, 'utf8');
await writeFile(demo.configPath, setConfigItems(text, { server_ip: '0.0.0.0', engine_url: engineUrl }), {
  mode: 0o600,
});
// The password did its job in the import; the keystore holds it from now on.
await rm(join(demo.runDir, 'pki', 'server.key.password'), { force: true });
console.error(
  `demo-material: run folder ${demo.runDir} ready (engine ${engineUrl}); client files in ${join(demo.runDir, 'pki')}`,
);
