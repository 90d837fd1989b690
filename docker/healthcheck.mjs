// Docker HEALTHCHECK: GET the admin listener's /healthz (or the URL given) and exit 0 on 200.
// The admin listener is loopback by default, so the check runs inside the container; it reads
// admin_port from the run folder's config so a changed port needs no edit. (Kubernetes probes
// with httpGet instead: docker/k8s/deployment.yaml.)
import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const TIMEOUT_MS = 2_500;

function adminPort() {
  // Where the front finds its config: MX_SDK_HOME, else the run folder's config/, else keys/
  // (the layout of docker/k8s, where the config travels in the material Secret).
  const home = process.env.MX_SDK_HOME;
  const candidates = home
    ? [join(home, 'config', 'streamserver.conf')]
    : [join('config', 'streamserver.conf'), join('keys', 'streamserver.conf')];
  for (const file of candidates) {
    try {
      const match = /^[ \t]*admin_port[ \t]*=[ \t]*(\d+)[ \t]*\r?$/m.exec(readFileSync(file, 'utf8'));
      return match ? Number(match[1]) : 9080;
    } catch {
      // not there: the next place
    }
  }
  return 9080;
}

const url = process.argv[2] ?? `http://127.0.0.1:${adminPort()}/healthz`;
const req = request(url, { timeout: TIMEOUT_MS }, (res) => {
  res.resume();
  console.log(`${url}: ${res.statusCode}`);
  process.exit(res.statusCode === 200 ? 0 : 1);
});
req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
req.on('error', (err) => {
  console.log(`${url}: ${err.message}`);
  process.exit(1);
});
req.end();
