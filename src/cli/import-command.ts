// Runs the import stage for a parsed command line: shared by certImport.sh and run.sh so
// both apply the same checks, prompt and transaction.
import { resolve } from 'node:path';
import { resolveConfigPath, runFolderOf } from '../config/index.js';
import { importMaterial } from '../import/import-stage.js';
import { choosePasswordSource } from '../import/password.js';
import type { ImportArgs } from './cert-import-args.js';

/** `cwd` is where the operator typed the command: the input files resolve against it. */
export async function runImportStage(args: ImportArgs, cwd: string): Promise<void> {
  const configPath = resolveConfigPath({ explicit: args.config, env: process.env, runDir: cwd });
  const runDir = cwd;
  await importMaterial({
    // keys/ and the paths the config records belong to the config's run folder, not to cwd.
    runDir: runFolderOf(configPath),
    configPath,
    inputs: {
      ca: resolve(runDir, args.ca),
      serverCert: resolve(runDir, args.serverCert),
      serverKey: resolve(runDir, args.serverKey),
      crl: args.crl === undefined ? undefined : resolve(runDir, args.crl),
    },
    inputLabels: { ca: args.ca, serverCert: args.serverCert, serverKey: args.serverKey, crl: args.crl },
    passwordSource: choosePasswordSource(args, process.stdin.isTTY === true),
    passwordIo: { stdin: process.stdin, prompt: process.stderr },
    env: process.env,
    now: new Date(),
    progress: (line) => process.stdout.write(`${line}\n`),
    log: (level, msg) => process.stderr.write(`certImport: ${level === 'warn' ? 'warning' : 'info'}: ${msg}\n`),
  });
}
