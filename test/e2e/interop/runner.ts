// What the matrix needs from a client: a check that it is installed, and one batch run that
// sends every cell of a BatchSpec and reports what the client saw. One file per client family
// under clients/ implements it.
import type { BatchReport, BatchSpec } from './matrix.js';

export interface ClientRunner {
  /** Used in cell (model) names: letters, digits, '-' and '_' only. */
  readonly id: string;
  /** In test names and docs, e.g. "curl (default settings)". */
  readonly title: string;
  /** Can send a body without Content-Length. */
  readonly canChunk: boolean;
  /**
   * How many connections the client spreads the keep-alive cell's closed-loop requests over:
   * 1 for most clients; undici's Agent alternates between 2 (measured against a plain Node
   * server too: its pool dispatches the next request before the previous connection reports
   * itself free). The keep-alive cell asserts no more than this, each opened once. Null when
   * the client keeps nothing alive (HTTP/1.0), and the cell asserts statuses and bytes only.
   */
  readonly keepAliveConnections: number | null;
  /** Throws MissingClientError (naming the Debian package) when the client is not installed. */
  prepare(): Promise<void>;
  run(spec: BatchSpec): Promise<BatchReport>;
}
