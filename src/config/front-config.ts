// Parsed streamserver.conf to a typed FrontConfig: defaults from the items table, one rule
// per item, duplicates of known items refused with their lines; unknown items left alone.
import { StreamfrontError } from '../errors/error.js';
import { isLoopbackAddress } from './loopback.js';
import { CONFIG_ITEMS, ItemRuleError, type FrontConfig, type FrontConfigValues } from './items.js';
import type { ParsedConfig } from './parse.js';

function linesText(lines: readonly number[]): string {
  return lines.length === 1 ? `line ${lines[0]}` : `lines ${lines.join(', ')}`;
}

function parseItem<K extends keyof FrontConfigValues>(parsed: ParsedConfig, key: K): FrontConfigValues[K] {
  const spec = CONFIG_ITEMS[key];
  const found = parsed.items.get(spec.item);
  if (found !== undefined && found.lines.length > 1) {
    // The native reader's behaviour on duplicates is undocumented: refuse rather than guess.
    throw new StreamfrontError('CONFIG_DUPLICATE_ITEM', `item ${spec.item} is set on ${linesText(found.lines)}`, {
      file: parsed.file,
      item: spec.item,
      hint: `keep one ${spec.item}= line in ${parsed.file} and delete the others`,
    });
  }
  // As in the engine, an empty value means the default.
  const raw = found === undefined || found.value === '' ? spec.defaultText : found.value;
  try {
    return spec.parse(raw);
  } catch (err) {
    if (!(err instanceof ItemRuleError)) throw err;
    const where = found === undefined ? 'default' : linesText(found.lines);
    throw new StreamfrontError('CONFIG_BAD_VALUE', `item ${spec.item} (${where}): ${err.message}`, {
      file: parsed.file,
      item: spec.item,
      hint: `correct ${spec.item} in ${parsed.file} (${spec.doc}) or empty it for the default '${spec.defaultText}'`,
    });
  }
}

export function readFrontConfig(parsed: ParsedConfig): FrontConfig {
  const values = {} as Record<keyof FrontConfigValues, unknown>;
  for (const key of Object.keys(CONFIG_ITEMS) as (keyof FrontConfigValues)[]) {
    values[key] = parseItem(parsed, key);
  }
  const config = values as FrontConfigValues;
  if (config.engineUrl === '') config.engineUrl = `http://127.0.0.1:${config.enginePort}`;
  if (!config.adminAllowRemote && !isLoopbackAddress(config.adminIp)) {
    // The admin listener has no authentication: reachable from other hosts only when asked for.
    const item = CONFIG_ITEMS.adminIp.item;
    const lines = parsed.items.get(item)?.lines ?? [];
    throw new StreamfrontError(
      'CONFIG_BAD_VALUE',
      `item ${item} (${lines.length > 0 ? linesText(lines) : 'default'}): '${config.adminIp}' is not a loopback address; use 127.0.0.1 or ::1, or set admin_allow_remote=on`,
      {
        file: parsed.file,
        item,
        hint: `set ${item}=127.0.0.1 in ${parsed.file}, or admin_allow_remote=on to expose /healthz, /readyz and /metrics to other hosts`,
      },
    );
  }
  const sharesAddress = config.serverIp === config.adminIp || config.serverIp === '0.0.0.0' || config.serverIp === '::';
  if (config.serverPort !== 0 && config.serverPort === config.adminPort && sharesAddress) {
    const item = CONFIG_ITEMS.adminPort.item;
    const lines = parsed.items.get(item)?.lines ?? parsed.items.get(CONFIG_ITEMS.serverPort.item)?.lines ?? [];
    throw new StreamfrontError(
      'CONFIG_BAD_VALUE',
      `item ${item} (${lines.length > 0 ? linesText(lines) : 'default'}): ${config.adminPort} is also server_port on the same address`,
      {
        file: parsed.file,
        item,
        hint: `give admin_port and server_port different values in ${parsed.file}`,
      },
    );
  }
  return config;
}
