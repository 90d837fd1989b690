// The request target the engine receives: the client's own, byte for byte, unless it tries to
// climb out of the engine's root. undici sends the path as given, so '//host/x' stays a path
// on the engine's origin; only '..' segments, spelled plainly or percent-encoded, are refused.

/** The answer to a refused target; the client's path is not echoed back. */
export const CLIMBING_TARGET_JSON = '{"error":"the request path may not contain \'..\' segments"}';

const SEPARATORS = /[\\/]/;

/**
 * True when the path (query excluded) has a '..' segment once percent-decoded, or cannot be
 * decoded at all (an engine might decode it more leniently than we can check it).
 */
export function isClimbingTarget(url: string): boolean {
  const queryAt = url.indexOf('?');
  const path = queryAt === -1 ? url : url.slice(0, queryAt);
  // The common case, no dot and no escape, needs no decoding.
  if (path.indexOf('.') === -1 && path.indexOf('%') === -1) return false;
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return true;
  }
  // Whole segments only: '/a/...b' is a name, not a climb. A backslash counts as a separator,
  // as some servers take it for one.
  for (const segment of decoded.split(SEPARATORS)) if (segment === '..') return true;
  return false;
}
