// Error codes of the engine simulator and of the loopback admin listener (metrics, health).
// Both are plain-HTTP helpers around the front; their refusals are start-up refusals.
import type { ErrorDef } from '../catalogue.js';

export const engineSimErrors = {
  ENGINE_SIM_REPO_INVALID: {
    summary:
      'An InferConfigRepository file given to the engine simulator is unreadable, not the engine JSON shape, or repeats a target.',
    exitCode: 1,
  },
  ADMIN_NOT_LOOPBACK: {
    summary: 'The admin listener (plain HTTP, unauthenticated) was asked to listen on an address that is not loopback.',
    exitCode: 1,
  },
  ADMIN_LISTEN_FAILED: { summary: 'The admin listener could not listen on its address and port.', exitCode: 1 },
} as const satisfies Record<string, ErrorDef>;
