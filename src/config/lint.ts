// Non-fatal findings about streamserver.conf, shown at start and by --check: items neither the
// front nor the engine knows (a typo is otherwise ignored without a word), and the size limits.
import { CONFIG_ITEMS, ENGINE_ONLY_ITEMS } from './items.js';
import type { ParsedConfig } from './parse.js';

export interface ConfigWarning {
  /** 1-based line, when the finding is about one line. */
  readonly line?: number | undefined;
  readonly item?: string | undefined;
  /** The known item a typo most likely meant. */
  readonly suggestion?: string | undefined;
  readonly message: string;
}

const KNOWN_ITEMS: readonly string[] = [
  ...Object.values(CONFIG_ITEMS).map((s) => s.item),
  ...ENGINE_ONLY_ITEMS.map((s) => s.item),
];
const KNOWN_SET = new Set(KNOWN_ITEMS);

/** Levenshtein distance, two rows: config item names are short. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      );
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/** The known item closest to `name`, if close enough to be a typo (a third of its length, at least 2). */
export function nearestKnownItem(name: string): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const known of KNOWN_ITEMS) {
    const d = editDistance(name.toLowerCase(), known);
    if (d < bestDistance) {
      best = known;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

export function listConfigWarnings(parsed: ParsedConfig): ConfigWarning[] {
  const out: ConfigWarning[] = (parsed.warnings ?? []).map((message) => ({ message }));
  for (const [item, entry] of parsed.items) {
    if (KNOWN_SET.has(item)) continue;
    const suggestion = nearestKnownItem(item);
    const line = entry.lines[0] as number;
    const hint =
      suggestion === undefined ? 'remove it if it is not meant for another reader' : `did you mean ${suggestion}?`;
    out.push({
      line,
      item,
      suggestion,
      message: `${parsed.file}: line ${line}: unknown item '${item}' is ignored; ${hint}`,
    });
  }
  return out.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}
