// Pure parse of streamserver.conf text: key=value lines, '#' comments, no sections. Values
// come from the ini package (one line at a time) so every item keeps its line numbers.
import ini from 'ini';
import { splitLines, validateConfigSize } from './limits.js';

export interface ConfigItem {
  /** Value of the first line that sets the item (the one setConfigItems edits). */
  readonly value: string;
  /** 1-based line numbers of every line that sets the item; more than one is a duplicate. */
  readonly lines: number[];
  /** Values of every line, in line order (values[0] === value). */
  readonly values?: readonly string[];
}

export interface ParsedConfig {
  readonly file: string;
  readonly items: ReadonlyMap<string, ConfigItem>;
  /** Non-fatal findings (size limits of the native reader): log them when reading. */
  readonly warnings?: readonly string[];
}

export interface ParsedLine {
  readonly key: string;
  readonly value: string;
}

/** One line to its key and value, or undefined for blanks, comments and non-item lines. */
export function parseConfigLine(line: string): ParsedLine | undefined {
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) return undefined;
  // No sections in this format: a [section] line is not an item and must not swallow the rest.
  if (trimmed.startsWith('[')) return undefined;
  const eq = trimmed.indexOf('=');
  if (eq <= 0) return undefined;
  const parsed = ini.parse(trimmed) as Record<string, unknown>;
  const keys = Object.keys(parsed);
  if (keys.length !== 1) return undefined;
  const key = keys[0] as string;
  const raw = parsed[key];
  // ini turns true/false/null into non-strings and key[] into arrays; we keep raw text.
  const value = Array.isArray(raw) ? raw.map(String).join(',') : raw === null ? 'null' : String(raw);
  return { key: key.replace(/\[\]$/, ''), value };
}

export function parseConfigText(text: string, file: string): ParsedConfig {
  const items = new Map<string, { value: string; lines: number[]; values: string[] }>();
  splitLines(text).forEach((line, index) => {
    const parsed = parseConfigLine(line);
    if (parsed === undefined) return;
    const existing = items.get(parsed.key);
    if (existing === undefined) {
      items.set(parsed.key, { value: parsed.value, lines: [index + 1], values: [parsed.value] });
    } else {
      existing.lines.push(index + 1);
      existing.values.push(parsed.value);
    }
  });
  const warnings = validateConfigSize(text).map((p) => `${file}: ${p.message}`);
  return { file, items, warnings };
}
