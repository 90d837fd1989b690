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
   * Keeps connections alive by default and tells which connection carried each request: the
   * keep-alive cell then asserts its requests shared one. False only for HTTP/1.0, where each
   * request has its own connection.
   */
  readonly keepsAlive: boolean;
  /** Throws MissingClientError (naming the Debian package) when the client is not installed. */
  prepare(): Promise<void>;
  run(spec: BatchSpec): Promise<BatchReport>;
}
