// Child process for the import crash tests: imports into the run folder argv[2] (password on
// stdin, as --password-stdin), announces the commit step argv[7] on stderr and hangs there, so
// the test can kill it with SIGKILL at exactly that point.
import { PassThrough } from 'node:stream';
import { importMaterial } from '../../../src/import/import-stage.js';

const [runDir, ca, serverCert, serverKey, crl, pauseAt] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
  string,
];
await importMaterial({
  runDir,
  configPath: `${runDir}/config/streamserver.conf`,
  inputs: { ca, serverCert, serverKey, crl },
  passwordSource: { kind: 'stdin' },
  passwordIo: { stdin: process.stdin, prompt: new PassThrough() },
  env: {},
  now: new Date(),
  progress: () => undefined,
  auditDestination: new PassThrough(),
  reachStep: async (step) => {
    if (step !== pauseAt) return;
    process.stderr.write(`import-test-paused ${step}\n`);
    await new Promise<never>(() => setInterval(() => undefined, 1 << 30));
  },
});
process.stderr.write('import-test-finished\n');
