// Keeps connections that have not shown a valid client certificate from starving those that
// have. Until a connection is accepted (still in its TLS handshake, or refused and waiting for
// its answer) it counts against max_unauthenticated_connections, and when that budget is full
// the oldest such connection is closed to make room: a client without a certificate can hold at
// most that many sockets, whatever it does. Accepted connections count against max_connections
// (checked by the front at the handshake); the listener's hard ceiling is the sum of the two, so
// file descriptors stay bounded.
import type { Server, Socket } from 'node:net';

export type TurnedAwayReason = 'unauthenticated-evicted' | 'connection-limit';

export interface ConnectionBudgetOptions {
  readonly maxAuthenticated: number;
  readonly maxUnauthenticated: number;
  /** A connection was closed to make room, or dropped at the listener's ceiling. */
  readonly onTurnedAway: (reason: TurnedAwayReason, remoteAddress: string | undefined) => void;
}

interface Addressed {
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
}

/** A TCP connection is one (address, port) pair on this listener while it is open. */
function keyOf(socket: Addressed): string {
  return `${socket.remoteAddress ?? ''}|${socket.remotePort ?? ''}`;
}

export class ConnectionBudget {
  /** TCP sockets not accepted yet, oldest first (a Map iterates in insertion order). */
  private readonly unauthenticated = new Map<string, Socket>();
  /** When each of them connected (performance.now()), for the handshake duration. */
  private readonly connectedAt = new Map<string, number>();

  constructor(private readonly opts: ConnectionBudgetOptions) {}

  /** Watches every TCP connection of this listener from its first moment (before TLS). */
  attach(server: Server): void {
    server.maxConnections = this.opts.maxAuthenticated + this.opts.maxUnauthenticated;
    server.prependListener('connection', (socket: Socket) => this.track(socket));
    server.on('drop', (data?: { remoteAddress?: string }) =>
      this.opts.onTurnedAway('connection-limit', data?.remoteAddress),
    );
  }

  /**
   * The connection showed a valid certificate (a TLS socket over one of the tracked TCP
   * sockets): it leaves the unauthenticated budget.
   */
  markAuthenticated(socket: Addressed): void {
    const key = keyOf(socket);
    this.unauthenticated.delete(key);
    this.connectedAt.delete(key);
  }

  /** Seconds since this connection's TCP connect, while it is still unauthenticated (at its handshake's end). */
  secondsSinceConnect(socket: Addressed): number | undefined {
    const at = this.connectedAt.get(keyOf(socket));
    return at === undefined ? undefined : (performance.now() - at) / 1000;
  }

  get unauthenticatedCount(): number {
    return this.unauthenticated.size;
  }

  private track(socket: Socket): void {
    const key = keyOf(socket);
    this.unauthenticated.set(key, socket);
    this.connectedAt.set(key, performance.now());
    socket.once('close', () => {
      if (this.unauthenticated.get(key) === socket) {
        this.unauthenticated.delete(key);
        this.connectedAt.delete(key);
      }
    });
    while (this.unauthenticated.size > this.opts.maxUnauthenticated) {
      const oldest = this.unauthenticated.entries().next().value as [string, Socket];
      this.unauthenticated.delete(oldest[0]);
      this.connectedAt.delete(oldest[0]);
      // Destroying the TCP socket ends the TLS socket built over it as well.
      oldest[1].destroy();
      this.opts.onTurnedAway('unauthenticated-evicted', oldest[1].remoteAddress);
    }
  }
}
