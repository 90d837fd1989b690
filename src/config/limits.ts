// The native StreamServer's reader breaks on lines of 1000 characters or more and on files
// of 100 lines or more; this module measures a text against those limits.
export const MAX_LINE_CHARS = 999;
export const MAX_LINES = 99;

export interface SizeProblem {
  /** 1-based line number, or undefined when the problem is the line count. */
  readonly line: number | undefined;
  readonly message: string;
}

/** Lines as the reader sees them: a final newline does not start another line. */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

export function validateConfigSize(text: string): SizeProblem[] {
  const problems: SizeProblem[] = [];
  const lines = splitLines(text);
  if (lines.length > MAX_LINES) {
    problems.push({
      line: undefined,
      message: `has ${lines.length} lines; the StreamServer reader takes at most ${MAX_LINES}`,
    });
  }
  lines.forEach((l, i) => {
    if (l.length > MAX_LINE_CHARS) {
      problems.push({
        line: i + 1,
        message: `line ${i + 1} has ${l.length} characters; the StreamServer reader takes at most ${MAX_LINE_CHARS}`,
      });
    }
  });
  return problems;
}
