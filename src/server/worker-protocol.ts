// The messages between the primary and its serving workers (workers > 1), over the cluster
// IPC channel with advanced serialization, so Buffers and the CRL's ArrayBuffer cross intact.
// The decrypted key travels only here: never on disk, in argv or in the environment.
import type { FrontConfig } from '../config/items.js';
import type { CarriedError, TransferredMaterial } from '../reload/load-request.js';

/** The material as it crosses: the CRL's table apart, as in the reload worker. */
export interface WiredMaterial {
  readonly material: TransferredMaterial;
  readonly revokedSerials: ArrayBuffer | undefined;
}

export type ToWorker =
  | {
      readonly type: 'init';
      /** The worker's slot, 1..workers, shown in its log lines and metrics. */
      readonly id: number;
      readonly config: FrontConfig;
      readonly logLevel: string;
      readonly wired: WiredMaterial;
      readonly ticketKey: Buffer;
    }
  | {
      readonly type: 'apply';
      readonly seq: number;
      readonly wired: WiredMaterial;
      /** The key every worker switches to if this set changes the revocation set (all see the same change). */
      readonly revocationTicketKey: Buffer;
    }
  | { readonly type: 'ticket-key'; readonly key: Buffer }
  | { readonly type: 'metrics'; readonly seq: number }
  /** The liveness check: any answer will do, a pong is the cheapest. */
  | { readonly type: 'ping' }
  | { readonly type: 'drain'; readonly graceMs: number };

export type FromWorker =
  /** The worker's module is loaded and listens for messages (an ES module loads asynchronously: a message sent earlier is lost). */
  | { readonly type: 'booted' }
  | { readonly type: 'ready'; readonly port: number }
  | { readonly type: 'failed'; readonly error: CarriedError }
  | { readonly type: 'applied'; readonly seq: number; readonly isRotated: boolean }
  | { readonly type: 'apply-failed'; readonly seq: number; readonly error: CarriedError }
  | { readonly type: 'metrics'; readonly seq: number; readonly text: string }
  | { readonly type: 'log'; readonly text: string }
  | { readonly type: 'pong' };
