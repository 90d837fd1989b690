// The TLS gate's per-connection counting: a connection closed for revocation is counted once,
// whoever notices it first (the CRL swap or a request on it) and however many requests it has.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TLSSocket } from 'node:tls';
import pino from 'pino';
import { FrontMetrics } from '../../../src/server/metrics.js';
import { RevocationGuard } from '../../../src/server/revocation-guard.js';
import { TlsGate } from '../../../src/server/tls-gate.js';
import { buildTestPki } from '../tls/pki-openssl.js';

describe('TlsGate', () => {
  it('counts a connection closed for revocation once, however often it is reported', () => {
    const logger = pino({ level: 'silent' });
    const metrics = new FrontMetrics({ serverName: 'test' });
    const gate = new TlsGate({
      config: { maxConnections: 10, maxUnauthenticatedConnections: 10, handshakeTimeoutMs: 1000, accessLog: false },
      logger,
      metrics,
      revocation: new RevocationGuard(undefined, 'keep-enforcing', logger),
      caPem: buildTestPki().caPem,
    });
    const session = {} as TLSSocket;
    const other = {} as TLSSocket;
    for (let stream = 0; stream < 5; stream++) gate.countClosedRevoked(session);
    gate.countClosedRevoked(other);
    assert.match(metrics.render(), /^streamfront_revoked_connections_closed_total 2$/m);
  });
});
