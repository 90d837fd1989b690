// Reads an InferConfigRepository folder (every *.json below it) into simulator targets, with
// the engine's limits: depth under 10, at most 100 files, no duplicate inferType+name.
import { promises as fsp } from 'node:fs';
import { join, relative } from 'node:path';
import { StreamfrontError } from '../errors/error.js';
import { isValidTargetName, type EngineTarget } from './protocol.js';

const MAX_DEPTH = 10;
const MAX_FILES = 100;

function repoError(file: string, message: string): StreamfrontError {
  return new StreamfrontError('ENGINE_SIM_REPO_INVALID', message, {
    file,
    hint: 'fix the file to {"<any key>":{"inferType":"models|streams","name":"<[A-Za-z0-9+-_]>",...}} or remove it',
  });
}

/** Pure: one file's text to its target, or a message saying what is wrong. */
export function parseInferConfig(text: string, file: string): EngineTarget {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw repoError(file, 'is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || Object.keys(parsed).length !== 1) {
    throw repoError(file, 'must hold one object with a single top-level key');
  }
  const inner = Object.values(parsed)[0] as Record<string, unknown> | null;
  if (typeof inner !== 'object' || inner === null) throw repoError(file, 'the top-level key must wrap an object');
  const { inferType, name, timeoutMs } = inner;
  if (inferType !== 'streams' && inferType !== 'models')
    throw repoError(file, `inferType must be streams or models, got ${JSON.stringify(inferType)}`);
  if (typeof name !== 'string' || !isValidTargetName(name))
    throw repoError(file, `name must match [A-Za-z0-9+-_], got ${JSON.stringify(name)}`);
  const timeout = timeoutMs === undefined ? 3000 : timeoutMs;
  if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout <= 0)
    throw repoError(file, 'timeoutMs must be a positive integer');
  return { inferType, name, timeoutMs: timeout };
}

export async function loadInferConfigRepository(dir: string): Promise<EngineTarget[]> {
  const files: string[] = [];
  async function walk(folder: string, depth: number): Promise<void> {
    if (depth >= MAX_DEPTH) return;
    let entries;
    try {
      entries = await fsp.readdir(folder, { withFileTypes: true });
    } catch (err) {
      throw repoError(folder, `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(folder, e.name);
      if (e.isDirectory()) await walk(path, depth + 1);
      else if (e.isFile() && e.name.endsWith('.json')) files.push(path);
      if (files.length > MAX_FILES) throw repoError(dir, `holds more than ${MAX_FILES} .json files`);
    }
  }
  await walk(dir, 0);
  const seen = new Map<string, string>();
  const targets: EngineTarget[] = [];
  for (const file of files) {
    const target = parseInferConfig(await fsp.readFile(file, 'utf8'), file);
    const key = `${target.inferType}/${target.name}`;
    const first = seen.get(key);
    if (first !== undefined) throw repoError(file, `repeats ${key}, already defined in ${relative(dir, first)}`);
    seen.set(key, file);
    targets.push(target);
  }
  return targets;
}
