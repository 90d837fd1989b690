// How every command ends: one line on stderr for a refusal, the catalogue's exit code.
// Unexpected errors print their message only (never a stack with input bytes), exit 1.
import { StreamfrontError, formatErrorLine, isStreamfrontError } from '../errors/error.js';

export function reportFatal(command: string, err: unknown): number {
  if (isStreamfrontError(err)) {
    process.stderr.write(`${command}: error: ${formatErrorLine(err)}\n`);
    return err.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`${command}: internal error: ${message.split('\n')[0]}\n`);
  return 1;
}

export function usageError(message: string, usageHint: string): StreamfrontError {
  return new StreamfrontError('CLI_USAGE', message, { hint: usageHint });
}

/** Turns node:util parseArgs' errors into our usage error with the same one-line shape. */
export function parseArgsError(err: unknown, usageHint: string): StreamfrontError {
  const message = err instanceof Error ? (err.message.split('\n')[0] ?? 'invalid arguments') : 'invalid arguments';
  return usageError(message.replace(/\.$/, ''), usageHint);
}
