// Command-line options of the engine simulator, pure: argv in, options or a usage error out.
// Checked whole before anything listens, so a typo never starts a half-configured engine.
import { StreamfrontError } from '../errors/error.js';
import type { EngineSimulatorOptions } from './server.js';

export const ENGINE_SIM_USAGE = `Usage: engine-sim [options]

Simulates the mxVision StreamServer HTTP API (plain HTTP) for the demo and the tests.
On listen it prints one JSON line: {"event":"listening","host":"127.0.0.1","port":N,"url":"..."}.

Options:
  --host ADDR                 address to listen on (default 127.0.0.1)
  --port N                    port, 0 for an ephemeral one (default 8080)
  --server-name NAME          answered by GET /v2 (default StreamServer)
  --model NAME                a model target, repeatable (default: m)
  --stream NAME               a stream target, repeatable (default: s)
  --infer-config-repo DIR     also serve the targets of an InferConfigRepository folder
  --latency-ms N              wait N ms before every engine answer (default 0)
  --max-content-length KB     body limit, larger bodies get 413 (default 20480)
  -h, --help                  show this help

Runtime control (same port): GET/POST /__sim/mode {"mode":"normal|fail|reset|hang|slow",
"delayMs":N,"status":N}; GET/DELETE /__sim/requests. See docs/engine-sim.md.

Exit codes: 0 stopped by SIGTERM/SIGINT or --help, 1 could not listen or bad repository,
2 bad command line.

Examples:
  engine-sim --port 0
  engine-sim --port 8080 --model yolo --stream camera1 --latency-ms 50`;

export type EngineSimArgs = { isHelp: true } | { isHelp: false; options: EngineSimulatorOptions; inferConfigRepo?: string };

function usageError(message: string, item: string): StreamfrontError {
  return new StreamfrontError('CLI_USAGE', message, { item, hint: 'run engine-sim --help' });
}

function parseInteger(flag: string, value: string, min: number, max: number): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw usageError(`invalid value '${value}' for flag '${flag}'; expected an integer from ${min} to ${max}`, flag);
  }
  return n;
}

const NAME = /^[A-Za-z0-9+\-_]{1,255}$/;

export function parseEngineSimArgs(argv: readonly string[]): EngineSimArgs {
  const models: string[] = [];
  const streams: string[] = [];
  const options: EngineSimulatorOptions = { host: '127.0.0.1', port: 8080 };
  let inferConfigRepo: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '-h' || arg === '--help') return { isHelp: true };
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const takeValue = (): string => {
      if (eq > 0) return arg.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw usageError(`flag '${flag}' needs a value`, flag);
      return v;
    };
    switch (flag) {
      case '--host':
        options.host = takeValue();
        break;
      case '--port':
        options.port = parseInteger(flag, takeValue(), 0, 65535);
        break;
      case '--server-name':
        options.serverName = takeValue();
        break;
      case '--infer-config-repo':
        inferConfigRepo = takeValue();
        break;
      case '--latency-ms':
        options.latencyMs = parseInteger(flag, takeValue(), 0, 600_000);
        break;
      case '--max-content-length':
        options.maxContentLengthKb = parseInteger(flag, takeValue(), 1, 51200);
        break;
      case '--model':
      case '--stream': {
        const v = takeValue();
        if (!NAME.test(v)) throw usageError(`invalid value '${v}' for flag '${flag}'; names use [A-Za-z0-9+-_]`, flag);
        (flag === '--model' ? models : streams).push(v);
        break;
      }
      default:
        throw usageError(`unknown option '${arg}'`, arg);
    }
  }
  if (models.length > 0) options.models = models;
  if (streams.length > 0) options.streams = streams;
  return inferConfigRepo === undefined ? { isHelp: false, options } : { isHelp: false, options, inferConfigRepo };
}
