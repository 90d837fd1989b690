// Engine faults as the client sees them: refused/reset -> 502, too slow -> 504, as a small JSON
// error without internals (reply-from's default maps resets to 500; we log the raw error instead).
export interface EngineErrorAnswer {
  readonly status: 502 | 504;
  readonly body: string;
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'FST_REPLY_FROM_GATEWAY_TIMEOUT', 'FST_REPLY_FROM_CONNECT_TIMEOUT', 'ETIMEDOUT']);

const TIMEOUT: EngineErrorAnswer = { status: 504, body: '{"error":"the engine did not answer in time"}' };
const UNREACHABLE: EngineErrorAnswer = { status: 502, body: '{"error":"the engine is unreachable"}' };
const RESET: EngineErrorAnswer = { status: 502, body: '{"error":"the engine closed the connection"}' };
const BAD: EngineErrorAnswer = { status: 502, body: '{"error":"the engine failed to answer"}' };

function codesOf(err: unknown): string[] {
  const codes: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e !== undefined && e !== null && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    e = (e as { cause?: unknown }).cause;
  }
  return codes;
}

export function mapEngineError(err: unknown): EngineErrorAnswer {
  const codes = codesOf(err);
  if (codes.some((c) => TIMEOUT_CODES.has(c))) return TIMEOUT;
  if ((err as { statusCode?: number }).statusCode === 504) return TIMEOUT;
  if (codes.includes('ECONNREFUSED') || codes.includes('ENOENT') || codes.includes('ENOTFOUND') || codes.includes('EHOSTUNREACH')) return UNREACHABLE;
  if (codes.includes('ECONNRESET') || codes.includes('UND_ERR_SOCKET') || codes.includes('EPIPE') || codes.includes('FST_REPLY_FROM_CONNECTION_RESET')) return RESET;
  return BAD;
}
