import type { ErrorDef } from '../catalogue.js';

// Errors of the serving front: building the TLS context from material and binding the
// listener. HTTP-level refusals (403/413/502/504) are answered as JSON, not thrown.
export const frontErrors = {
  FRONT_TLS_CONTEXT: {
    summary:
      'The TLS material could not be turned into a secure context (key/certificate mismatch, bad PEM, bad cipher list).',
    exitCode: 1,
  },
  FRONT_LISTEN: { summary: 'The mTLS listener could not bind its address and port.', exitCode: 1 },
  FRONT_WORKER_START_TIMEOUT: {
    summary: 'A serving worker (workers > 1) did not listen within its start bound (30 s).',
    exitCode: 1,
  },
  FRONT_WORKER_START_EXITED: {
    summary: 'A serving worker (workers > 1) exited before it listened.',
    exitCode: 1,
  },
} as const satisfies Record<string, ErrorDef>;
