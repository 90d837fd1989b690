// Where the keystore copies and their lock live inside keys/; names kept from the SDK's layout
// (kmc.ks primary, StandbyKsf.ks standby) so operators find what they expect.
import { dirname, join } from 'node:path';

export interface KeystorePaths {
  readonly primary: string;
  readonly standby: string;
}

export function keystorePathsIn(keysDir: string): KeystorePaths {
  return { primary: join(keysDir, 'kmc.ks'), standby: join(keysDir, 'StandbyKsf.ks') };
}

/** The lock sits beside the primary so both copies share one. */
export function lockPathFor(paths: KeystorePaths): string {
  return join(dirname(paths.primary), '.kmc.lock');
}
