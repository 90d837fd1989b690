// Child process for the crash tests: creates or rotates the keystore in argv[2] and saves it,
// stopping after the save step named in argv[4] so a test can SIGKILL it exactly there.
import { Keystore, keystorePathsIn, type WriteStep } from '../../../src/kmc/index.js';

const [keysDir, verb, pauseStep] = process.argv.slice(2) as [string, string, string];
const paths = keystorePathsIn(keysDir);

async function pauseAt(step: WriteStep): Promise<void> {
  if (step !== pauseStep) return;
  process.stderr.write(`kmc-test-paused ${step}\n`);
  // Never resolves; the interval keeps the process alive until the test kills it.
  await new Promise<never>(() => {
    setInterval(() => undefined, 1 << 30);
  });
}

const ks = verb === 'init' ? Keystore.create({}) : await Keystore.open(paths, {});
if (verb === 'rotate') ks.rotate();
await ks.save(paths, { reachStep: pauseAt });
