// Command-line options of the engine simulator, pure: argv in, options or a usage error out.
// Checked whole before anything listens, so a typo never starts a half-configured engine.
import { parseArgs, type ParseArgsConfig } from 'node:util';
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

export type EngineSimArgs =
  | { isHelp: true }
  | { isHelp: false; options: EngineSimulatorOptions; inferConfigRepo?: string };

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

const OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string' },
  'server-name': { type: 'string' },
  model: { type: 'string', multiple: true },
  stream: { type: 'string', multiple: true },
  'infer-config-repo': { type: 'string' },
  'latency-ms': { type: 'string' },
  'max-content-length': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

type OptionName = keyof typeof OPTIONS;

function isOptionName(name: string): name is OptionName {
  return Object.hasOwn(OPTIONS, name);
}

/**
 * parseArgs reads argv (strict off, so it names what it does not know instead of throwing its own
 * wording); the tokens are then checked in argv order, so the first mistake is the one reported
 * and --help before any mistake still shows the help.
 */
export function parseEngineSimArgs(argv: readonly string[]): EngineSimArgs {
  const { values, tokens } = parseArgs({
    args: [...argv],
    options: OPTIONS,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  for (const token of tokens) {
    if (token.kind === 'option-terminator') throw usageError(`unknown option '--'`, '--');
    if (token.kind === 'positional') throw usageError(`unknown option '${token.value}'`, token.value);
    const written = token.inlineValue === true ? `${token.rawName}=${token.value ?? ''}` : token.rawName;
    if (!isOptionName(token.name) || (token.name === 'help' && token.inlineValue === true))
      throw usageError(`unknown option '${written}'`, written);
    if (token.name === 'help') return { isHelp: true };
    if (token.value === undefined) throw usageError(`flag '${token.rawName}' needs a value`, token.rawName);
    checkValue(token.rawName, token.name, token.value);
  }
  const options: EngineSimulatorOptions = { host: '127.0.0.1', port: 8080 };
  if (typeof values.host === 'string') options.host = values.host;
  if (typeof values.port === 'string') options.port = Number(values.port);
  if (typeof values['server-name'] === 'string') options.serverName = values['server-name'];
  if (typeof values['latency-ms'] === 'string') options.latencyMs = Number(values['latency-ms']);
  if (typeof values['max-content-length'] === 'string')
    options.maxContentLengthKb = Number(values['max-content-length']);
  const models = values.model;
  const streams = values.stream;
  if (Array.isArray(models) && models.length > 0)
    options.models = models.filter((v): v is string => typeof v === 'string');
  if (Array.isArray(streams) && streams.length > 0)
    options.streams = streams.filter((v): v is string => typeof v === 'string');
  const inferConfigRepo = values['infer-config-repo'];
  return typeof inferConfigRepo === 'string' ? { isHelp: false, options, inferConfigRepo } : { isHelp: false, options };
}

/** The rule of each option's value; the flag is named as it was written (--port, not port). */
function checkValue(flag: string, name: Exclude<OptionName, 'help'>, value: string): void {
  switch (name) {
    case 'port':
      parseInteger(flag, value, 0, 65535);
      return;
    case 'latency-ms':
      parseInteger(flag, value, 0, 600_000);
      return;
    case 'max-content-length':
      parseInteger(flag, value, 1, 51200);
      return;
    case 'model':
    case 'stream':
      if (!NAME.test(value))
        throw usageError(`invalid value '${value}' for flag '${flag}'; names use [A-Za-z0-9+-_]`, flag);
      return;
    default:
      return;
  }
}
