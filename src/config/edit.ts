// Line-preserving edit of streamserver.conf text: the first line of each item gets the new
// value, every other byte (comments, order, CRLF, final newline) stays; missing items append.
import { StreamfrontError } from '../errors/error.js';
import { parseConfigLine } from './parse.js';

const ITEM_NAME = /^[A-Za-z0-9_.-]+$/;

function validateUpdate(item: string, value: string): void {
  if (!ITEM_NAME.test(item)) {
    throw new StreamfrontError('CONFIG_BAD_UPDATE', `item name '${item}' is not letters, digits, '_', '.' or '-'`, {
      item,
      hint: 'use the item name as documented in config/streamserver.conf',
    });
  }
  // Never echo the value: it may be a ciphertext or a path the operator did not mean to show.
  if (/[\r\n\u0000]/.test(value)) {
    throw new StreamfrontError('CONFIG_BAD_UPDATE', `value for item ${item} contains a line break or NUL`, {
      item,
      hint: 'give a single-line value',
    });
  }
  const back = parseConfigLine(`${item}=${value}`);
  if (value !== '' && (back === undefined || back.value !== value)) {
    throw new StreamfrontError(
      'CONFIG_BAD_UPDATE',
      `value for item ${item} would not read back unchanged (leading/trailing spaces, quotes, ';' or '#')`,
      { item, hint: 'give a value without surrounding spaces, quotes, ; or #' },
    );
  }
}

/** Splits after each '\n', keeping it, so joining the pieces gives the text back exactly. */
function splitKeepingEnds(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

function replaceValue(piece: string, value: string): string {
  const end = piece.endsWith('\r\n') ? '\r\n' : piece.endsWith('\n') ? '\n' : '';
  const body = piece.slice(0, piece.length - end.length);
  const eq = body.indexOf('=');
  const afterEq = body.slice(eq + 1);
  const spaces = /^[ \t]*/.exec(afterEq)?.[0] ?? '';
  return `${body.slice(0, eq + 1)}${spaces}${value}${end}`;
}

export function setConfigItems(text: string, updates: Readonly<Record<string, string>>): string {
  const pending = new Map<string, string>();
  for (const [item, value] of Object.entries(updates)) {
    validateUpdate(item, value);
    pending.set(item, value);
  }
  const pieces = splitKeepingEnds(text).map((piece) => {
    const parsed = parseConfigLine(piece.replace(/\r?\n$/, ''));
    if (parsed === undefined || !pending.has(parsed.key)) return piece;
    const value = pending.get(parsed.key) as string;
    pending.delete(parsed.key);
    return replaceValue(piece, value);
  });
  if (pending.size === 0) return pieces.join('');
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  let out = pieces.join('');
  if (out !== '' && !out.endsWith('\n')) out += eol;
  for (const [item, value] of pending) out += `${item}=${value}${eol}`;
  return out;
}
