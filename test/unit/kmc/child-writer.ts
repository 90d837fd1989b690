// Child process for the crash tests: creates or rotates the keystore in argv[2] and saves it,
// so a test can SIGKILL it at a paused save step (STREAMFRONT_KMC_TEST_PAUSE_AFTER).
import { Keystore, keystorePathsIn } from '../../../src/kmc/index.js';

const [keysDir, verb] = process.argv.slice(2) as [string, string];
const paths = keystorePathsIn(keysDir);
const ks = verb === 'init' ? Keystore.create({}) : await Keystore.open(paths, {});
if (verb === 'rotate') ks.rotate();
await ks.save(paths);
