// Where streamserver.conf lives: --config, else $MX_SDK_HOME/config, else config/ under the
// run folder. The same lookup serves certImport.sh and run.sh so both touch the same file.
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';

export const CONFIG_FILE_NAME = 'streamserver.conf';

/** A path an item of the config names: relative ones belong to the run folder, not the process's cwd. */
export function resolveItemPath(runDir: string, value: string): string {
  return isAbsolute(value) ? value : resolve(runDir, value);
}

export function resolveConfigPath(opts: { explicit?: string; env: NodeJS.ProcessEnv; runDir: string }): string {
  if (opts.explicit !== undefined && opts.explicit !== '') return resolve(opts.runDir, opts.explicit);
  const sdkHome = opts.env['MX_SDK_HOME'];
  if (sdkHome !== undefined && sdkHome !== '') {
    // A relative MX_SDK_HOME would otherwise depend on the process's cwd, not the run folder.
    const home = isAbsolute(sdkHome) ? sdkHome : resolve(opts.runDir, sdkHome);
    return join(home, 'config', CONFIG_FILE_NAME);
  }
  return join(opts.runDir, 'config', CONFIG_FILE_NAME);
}

/**
 * The run folder a config belongs to, against which its relative material paths and keys/
 * resolve: the folder above its config/ folder, or above its keys/ folder (a config kept with
 * the material, as one Kubernetes Secret mounted as keys/ holds both, so that a new key and its
 * server_key_mm arrive in one swap); a config kept anywhere else belongs to its own folder.
 * Never the current folder, so ./run.sh --config F works from anywhere.
 */
export function runFolderOf(configPath: string): string {
  const folder = dirname(resolve(configPath));
  const name = basename(folder);
  return name === 'config' || name === 'keys' ? dirname(folder) : folder;
}
