// certImport.sh: the import stage as a command. Arguments are checked first (exit 2),
// then the import runs as one transaction (exit 1 on any refusal, 0 when imported).
import { IMPORT_USAGE, parseImportArgs } from './cert-import-args.js';
import { runImportStage } from './import-command.js';
import { reportFatal } from './report.js';

async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseImportArgs(argv);
  if (parsed.help) {
    process.stdout.write(IMPORT_USAGE);
    return 0;
  }
  await runImportStage(parsed.args, process.cwd());
  process.stdout.write('Imported. Start the front with: ./run.sh\n');
  return 0;
}

// The labels in messages are the operator's own paths (relative ones stay relative).
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.exitCode = reportFatal('certImport', err);
  },
);
