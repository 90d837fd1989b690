// The session-ticket key of the TLS server: replaced on a schedule, so that a key taken from
// memory opens only the tickets of one period, and at once when the revocation set changes, so
// that no ticket issued before a revocation resumes after it.
// Node's TLS server holds exactly one 48-byte key and offers no public hook for a decrypt-only
// previous key (the ticket key callback is an internal kept for Node's own tests), so a replaced
// key ends every ticket issued under it: each client's next reconnect after a rotation is one
// full handshake. Hourly, with tickets valid 300 s, that is one full handshake per client per
// hour at most.
import { randomBytes } from 'node:crypto';

/** How often the key is replaced when nothing else replaces it. */
export const TICKET_KEY_PERIOD_MS = 60 * 60 * 1000;

/** The part of node:tls Server this needs. */
export interface TicketKeyHolder {
  setTicketKeys(keys: Buffer): void;
}

/** What the front asks of its key source: a fresh key now (the revocation set changed), and an end. */
export interface TicketKeyRotation {
  rotate(): void;
  stop(): void;
}

/** Builds the key source of one TLS server; the front's default is its own TicketKeys. */
export type TicketKeySource = (holder: TicketKeyHolder) => TicketKeyRotation;

export class TicketKeys implements TicketKeyRotation {
  readonly #holder: TicketKeyHolder;
  readonly #timer: NodeJS.Timeout;
  #rotations = 0;

  constructor(holder: TicketKeyHolder, periodMs = TICKET_KEY_PERIOD_MS) {
    this.#holder = holder;
    this.#timer = setInterval(() => this.rotate(), periodMs);
    // A key schedule never keeps a process alive that has nothing else to do.
    this.#timer.unref();
  }

  /** Keys replaced since start, scheduled or not (for tests and logs). */
  get rotations(): number {
    return this.#rotations;
  }

  rotate(): void {
    this.#holder.setTicketKeys(randomBytes(48));
    this.#rotations += 1;
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
