// A fingerprint of everything an import may touch, to prove a refused or failed import
// changed nothing: keys/ (names, modes, bytes) and the config.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function snapshot(runDir: string): string {
  const hash = createHash('sha256');
  const keys = join(runDir, 'keys');
  if (existsSync(keys)) {
    hash.update(`keys mode ${statSync(keys).mode}`);
    for (const name of readdirSync(keys).sort()) {
      hash.update(`${name} ${statSync(join(keys, name)).mode}`);
      hash.update(readFileSync(join(keys, name)));
    }
  } else hash.update('no keys');
  hash.update(readFileSync(join(runDir, 'config', 'streamserver.conf')));
  return hash.digest('hex');
}
