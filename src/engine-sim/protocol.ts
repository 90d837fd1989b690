// The mxVision StreamServer wire rules, pure: URI checks, error codes, body checks and the
// answer shapes. The simulator's HTTP layer only routes; every rule a test relies on is here.
import { createHash } from 'node:crypto';

/** The engine's errorCode values (ENGINE.md, "Error codes"). */
export const EngineErrorCode = {
  SUCCESS: 0,
  INFER_FAILED: 1,
  INVALID_URI: 2,
  TARGET_NOT_EXISTS: 3,
  INVALID_BODY: 4,
  CACHE_FULL: 5,
  MODEL_INPUT_FAILED: 6,
  MODEL_OUTPUT_FAILED: 7,
  RATE_EXCEEDED: 8,
  ILLEGAL_CONTENT: 9,
  LARGE_CONTENT: 10,
  INTERNAL_ERROR: 11,
  UNSUPPORTED_METHOD: 12,
} as const;
export type EngineErrorName = keyof typeof EngineErrorCode;

export type InferType = 'streams' | 'models';

export interface EngineTarget {
  readonly inferType: InferType;
  readonly name: string;
  readonly timeoutMs: number;
}

export interface EngineAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

export function engineError(name: EngineErrorName, message: string, status = 400): EngineAnswer {
  return { status, body: { isSuccess: false, errorCode: EngineErrorCode[name], errorMsg: message } };
}

// The engine's documented URI alphabet: letters, digits, '+', '-', '_' and '/'.
const URI_CHARS = /^[A-Za-z0-9+\-_/]+$/;
const NAME_CHARS = /^[A-Za-z0-9+\-_]+$/;

/** Null when the path (without query) passes the engine's URI rules, else the error. */
export function validateUri(path: string): EngineAnswer | null {
  if (path.length < 3 || path.length > 255) {
    return engineError('INVALID_URI', `URI length ${path.length} is outside 3 to 255`);
  }
  if (!URI_CHARS.test(path)) return engineError('INVALID_URI', 'URI holds a character outside [A-Za-z0-9+-_/]');
  return null;
}

export function isValidTargetName(name: string): boolean {
  return NAME_CHARS.test(name) && name.length <= 255;
}

/** Routes of the engine API, from the path alone. */
export type EngineRoute =
  | { kind: 'server' }
  | { kind: 'live' }
  | { kind: 'ready' }
  | { kind: 'infer'; inferType: InferType; name: string }
  | { kind: 'target-ready'; inferType: InferType; name: string }
  | { kind: 'target-config'; inferType: InferType; name: string }
  | { kind: 'unknown' };

export function parseRoute(path: string): EngineRoute {
  if (path === '/v2' || path === '/v2/') return { kind: 'server' };
  if (path === '/v2/live') return { kind: 'live' };
  if (path === '/v2/ready') return { kind: 'ready' };
  const m = /^\/v2\/(streams|models)\/([^/]+)\/(infer|ready|config)$/.exec(path);
  if (m === null) return { kind: 'unknown' };
  const inferType = m[1] as InferType;
  const name = m[2] as string;
  const verb = m[3];
  if (verb === 'infer') return { kind: 'infer', inferType, name };
  if (verb === 'ready') return { kind: 'target-ready', inferType, name };
  return { kind: 'target-config', inferType, name };
}

const REQUIRED_INPUT_FIELDS = ['name', 'id', 'dataType', 'format', 'shape', 'data'] as const;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export interface DecodedInput {
  readonly name: string;
  readonly data: Buffer;
}

/** Checks an infer body as the engine does: JSON, inputs[0] with its six fields, base64 data. */
export function parseInferBody(body: Buffer): DecodedInput | EngineAnswer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return engineError('INVALID_BODY', 'request body is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null)
    return engineError('INVALID_BODY', 'request body is not a JSON object');
  const inputs = (parsed as { inputs?: unknown }).inputs;
  if (!Array.isArray(inputs) || inputs.length === 0)
    return engineError('INVALID_BODY', 'field inputs must be a non-empty array');
  const first: unknown = inputs[0];
  if (typeof first !== 'object' || first === null) return engineError('INVALID_BODY', 'inputs[0] must be an object');
  const input = first as Record<string, unknown>;
  for (const field of REQUIRED_INPUT_FIELDS) {
    if (!(field in input)) return engineError('INVALID_BODY', `inputs[0].${field} is missing`);
  }
  if (!Array.isArray(input.shape)) return engineError('INVALID_BODY', 'inputs[0].shape must be an array');
  const data = input.data;
  if (typeof data !== 'string' || data.length % 4 !== 0 || !BASE64.test(data)) {
    return engineError('INVALID_BODY', 'inputs[0].data must be base64');
  }
  return { name: String(input.name), data: Buffer.from(data, 'base64') };
}

export function isEngineAnswer(x: DecodedInput | EngineAnswer): x is EngineAnswer {
  return 'status' in x;
}

/**
 * The simulated inference result: outputs[0].data is the base64 of the SHA-256 hex of the
 * decoded input, outputs[0].shape is [its byte length], so a client can check the round trip.
 */
export function buildInferAnswer(target: EngineTarget, input: DecodedInput): EngineAnswer {
  const sha256 = createHash('sha256').update(input.data).digest('hex');
  return {
    status: 200,
    body: {
      isSuccess: true,
      errorCode: EngineErrorCode.SUCCESS,
      errorMsg: '',
      outputs: [
        {
          name: 'sha256',
          dataType: 'BINARY',
          format: 'FORMAT_NONE',
          shape: [input.data.length],
          data: Buffer.from(sha256, 'utf8').toString('base64'),
        },
      ],
      target: `${target.inferType}/${target.name}`,
    },
  };
}
