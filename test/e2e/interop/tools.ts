// Finding the real clients on this machine. A missing one fails its test with the Debian
// package that provides it: the matrix never skips a client silently.
import { spawnSync } from 'node:child_process';

/** Debian's own interpreter: a pyenv python3 earlier on PATH would lack the Debian modules. */
export const DEBIAN_PYTHON = '/usr/bin/python3';

export class MissingClientError extends Error {
  constructor(what: string, debianPackage: string, detail: string) {
    super(
      `${what} is not available (${detail}): install the Debian package ${debianPackage} (apt-get install -y ${debianPackage}), or run bash .ci/run, which installs it`,
    );
  }
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim() ?? ''
  );
}

/** Runs `command args` and returns its first output line; throws MissingClientError if it cannot run. */
export function requireCommand(command: string, args: readonly string[], debianPackage: string): string {
  const out = spawnSync(command, args, { encoding: 'utf8', timeout: 30_000 });
  if (out.error !== undefined) {
    throw new MissingClientError(
      `the command ${command}`,
      debianPackage,
      (out.error as NodeJS.ErrnoException).code ?? out.error.message,
    );
  }
  if (out.status !== 0) {
    throw new MissingClientError(
      `the command ${command}`,
      debianPackage,
      `\`${command} ${args.join(' ')}\` exited ${String(out.status)}: ${firstLine(out.stderr)}`,
    );
  }
  return firstLine(out.stdout) || firstLine(out.stderr);
}

/** Imports `module` in Debian's python3 and returns its __version__. */
export function requirePythonModule(module: string, debianPackage: string): string {
  requireCommand(DEBIAN_PYTHON, ['--version'], 'python3');
  const out = spawnSync(DEBIAN_PYTHON, ['-c', `import ${module}; print(${module}.__version__)`], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (out.status !== 0) {
    const reason = out.stderr.trim().split('\n').pop() ?? `exit ${String(out.status)}`;
    throw new MissingClientError(`the Python module ${module} (for ${DEBIAN_PYTHON})`, debianPackage, reason);
  }
  return out.stdout.trim();
}
