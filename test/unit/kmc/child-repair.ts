// Child process for the full-disk lock test: opens the keystore in argv[2], which repairs a copy
// that is behind. Its parent starts it under `ulimit -f 0`, so every write fails as on a full disk.
import { Keystore, keystorePathsIn } from '../../../src/kmc/index.js';

const warnings: string[] = [];
await Keystore.open(keystorePathsIn(process.argv[2] as string), { log: (_level, msg) => warnings.push(msg) });
process.stdout.write(`${JSON.stringify({ warnings })}\n`);
