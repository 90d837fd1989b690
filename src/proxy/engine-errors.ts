// Proxy faults as the client sees them, blamed on whoever failed: the engine (refused/reset ->
// 502, too slow -> 504), the front itself (a request the HTTP client would not send -> 500), or
// the client (gone mid-upload: nobody to answer). A small JSON error without internals; the raw
// error goes to the log.
export type FaultBlame = 'engine' | 'front' | 'client';

export interface EngineErrorAnswer {
  readonly status: 400 | 500 | 502 | 504;
  readonly body: string;
  readonly blame: FaultBlame;
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'ETIMEDOUT',
]);

/** undici's refusals of a request it was handed: the front built something it cannot send. */
const FRONT_CODES = new Set([
  'UND_ERR_INVALID_ARG',
  'UND_ERR_NOT_SUPPORTED',
  'ERR_INVALID_ARG_TYPE',
  'ERR_INVALID_ARG_VALUE',
  'ERR_INVALID_URL',
]);

const TIMEOUT: EngineErrorAnswer = {
  status: 504,
  body: '{"error":"the engine did not answer in time"}',
  blame: 'engine',
};
const UNREACHABLE: EngineErrorAnswer = { status: 502, body: '{"error":"the engine is unreachable"}', blame: 'engine' };
const RESET: EngineErrorAnswer = { status: 502, body: '{"error":"the engine closed the connection"}', blame: 'engine' };
const BAD: EngineErrorAnswer = { status: 502, body: '{"error":"the engine failed to answer"}', blame: 'engine' };
const FRONT: EngineErrorAnswer = {
  status: 500,
  body: '{"error":"the front could not forward the request"}',
  blame: 'front',
};
const CLIENT_GONE: EngineErrorAnswer = {
  status: 400,
  body: '{"error":"the request body was cut off"}',
  blame: 'client',
};

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

/** isClientGone: the client's request stream ended early (reset or closed mid-upload). */
export function mapEngineError(err: unknown, isClientGone = false): EngineErrorAnswer {
  if (isClientGone) return CLIENT_GONE;
  const codes = codesOf(err);
  if (codes.some((c) => FRONT_CODES.has(c))) return FRONT;
  if (codes.some((c) => TIMEOUT_CODES.has(c))) return TIMEOUT;
  if (
    codes.includes('ECONNREFUSED') ||
    codes.includes('ENOENT') ||
    codes.includes('ENOTFOUND') ||
    codes.includes('EHOSTUNREACH')
  )
    return UNREACHABLE;
  if (codes.includes('ECONNRESET') || codes.includes('UND_ERR_SOCKET') || codes.includes('EPIPE')) return RESET;
  return BAD;
}
