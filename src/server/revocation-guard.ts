// The revocation state the front serves with, and the clock that watches it: which CRL is
// enforced, and whether its nextUpdate has passed (logged once; under refuse-all every client is
// refused until a fresh CRL lands). The pure rules live in tls/revocation.ts; this holds the
// state across reloads and the one timer.
import type { Logger } from 'pino';
import type { PeerIdentity } from '../tls/peer.js';
import { buildRevocationState, isRevoked, isSameRevocation, type RevocationState } from '../tls/revocation.js';
import type { CrlExpiredPolicy } from '../config/items.js';
import type { FrontCrl } from '../tls/types.js';

export interface CrlStatus {
  readonly hasCrl: boolean;
  /** nextUpdate has passed: the last CRL is still enforced, or every client refused (refuse-all). */
  readonly isExpired: boolean;
  readonly isRefusingAll: boolean;
  readonly entries: number;
}

function entriesOf(state: RevocationState): number {
  let n = state.revoked.size;
  for (const other of state.others) n += other.revoked.size;
  return n;
}

/** setTimeout's longest delay; a nextUpdate further away is reached in several steps. */
const TIMER_MAX_MS = 2 ** 31 - 1;

export class RevocationGuard {
  private state: RevocationState;
  /** Cached verdict of the policy, so the per-request check is a field read. */
  private isRefusing = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    crl: FrontCrl | undefined,
    private readonly policy: CrlExpiredPolicy,
    private readonly logger: Logger,
  ) {
    this.state = buildRevocationState(crl);
  }

  /** The per-request check: a string compare and a table probe. */
  isRevoked(identity: PeerIdentity): boolean {
    return isRevoked(this.state, identity);
  }

  /** True while a stale CRL under refuse-all refuses every client. */
  get isRefusingAll(): boolean {
    return this.isRefusing;
  }

  get revokedCount(): number {
    return entriesOf(this.state);
  }

  status(now = Date.now()): CrlStatus {
    return {
      hasCrl: this.state.hasCrl,
      isExpired: now > this.state.staleAfterMs,
      isRefusingAll: this.isRefusing,
      entries: entriesOf(this.state),
    };
  }

  /** Starts watching nextUpdate (after the listener is up, so a stale CRL is logged once it serves). */
  start(): void {
    this.arm();
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Swaps in the next CRL (or none); true when what is revoked or its freshness changed. */
  replace(crl: FrontCrl | undefined): boolean {
    const next = buildRevocationState(crl);
    const isChanged = !isSameRevocation(this.state, next) || next.staleAfterMs !== this.state.staleAfterMs;
    this.state = next;
    this.arm();
    return isChanged;
  }

  private arm(): void {
    this.stop();
    this.isRefusing = false;
    const { hasCrl, staleAfterMs } = this.state;
    if (!hasCrl || staleAfterMs === Infinity) return;
    const delay = staleAfterMs - Date.now();
    if (delay <= 0) {
      this.markStale();
      return;
    }
    this.timer = setTimeout(() => this.arm(), Math.min(delay + 1, TIMER_MAX_MS));
    this.timer.unref();
  }

  private markStale(): void {
    const nextUpdate = new Date(this.state.staleAfterMs).toISOString();
    this.isRefusing = this.policy === 'refuse-all';
    if (this.isRefusing) {
      this.logger.error(
        { nextUpdate },
        'CRL nextUpdate has passed: refusing all clients until a fresh CRL is installed (crl_expired_policy=refuse-all)',
      );
    } else {
      this.logger.warn(
        { nextUpdate },
        'CRL nextUpdate has passed: still enforcing the last CRL (crl_expired_policy=keep-enforcing)',
      );
    }
  }
}
