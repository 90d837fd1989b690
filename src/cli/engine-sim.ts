// The engine-sim command: parse the flags, start the simulator, print one "listening" JSON
// line, and stop cleanly on SIGTERM/SIGINT. All behaviour lives in src/engine-sim/.
import { ENGINE_SIM_USAGE, parseEngineSimArgs } from '../engine-sim/args.js';
import { loadInferConfigRepository } from '../engine-sim/repository.js';
import { startEngineSimulator } from '../engine-sim/server.js';
import { reportFatal } from './report.js';

async function main(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseEngineSimArgs(argv);
  } catch (err) {
    return reportFatal('engine-sim', err);
  }
  if (parsed.isHelp) {
    process.stdout.write(`${ENGINE_SIM_USAGE}\n`);
    return 0;
  }
  if (parsed.inferConfigRepo !== undefined) {
    try {
      parsed.options.targets = await loadInferConfigRepository(parsed.inferConfigRepo);
    } catch (err) {
      return reportFatal('engine-sim', err);
    }
  }
  let sim;
  try {
    sim = await startEngineSimulator(parsed.options);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'ERROR';
    process.stderr.write(
      `engine-sim: cannot listen on ${parsed.options.host}:${parsed.options.port} (${code}); fix: pick another --port or --host\n`,
    );
    return 1;
  }
  process.stdout.write(
    `${JSON.stringify({ event: 'listening', host: parsed.options.host, port: sim.port, url: sim.url })}\n`,
  );
  const running = sim;
  return new Promise<number>((resolve) => {
    const stop = (signal: string): void => {
      process.stdout.write(`${JSON.stringify({ event: 'stopping', signal })}\n`);
      running.close().then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.exitCode = reportFatal('engine-sim', err);
  },
);
