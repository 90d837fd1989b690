// The admin listener as an operator's probe sees it: health, readiness (200 and 503 with the
// details), metrics text, and the refusal to listen anywhere but loopback.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { buildAdminServer, isLoopbackAddress, type AdminReadiness } from '../../../src/server/admin.js';
import { FrontMetrics } from '../../../src/server/metrics.js';
import { StreamfrontError } from '../../../src/errors/error.js';

const silent = { warn: () => {}, info: () => {} };

async function withAdmin(
  readiness: () => Promise<AdminReadiness>,
  fn: (base: string, metrics: FrontMetrics) => Promise<void>,
): Promise<void> {
  const metrics = new FrontMetrics({ serverName: 'StreamServer' });
  const admin = buildAdminServer({ metrics, serverName: 'StreamServer', readiness, logger: silent });
  const port = await admin.listen('127.0.0.1', 0);
  try {
    await fn(`http://127.0.0.1:${port}`, metrics);
  } finally {
    await admin.close();
  }
}

describe('admin listener', () => {
  it('answers /healthz with {"status":"up"}', async () => {
    await withAdmin(
      async () => ({ ready: true, details: {} }),
      async (base) => {
        const res = await fetch(`${base}/healthz`);
        assert.equal(res.status, 200);
        assert.equal(((await res.json()) as { status: string }).status, 'up');
      },
    );
  });

  it('answers /readyz 200 when ready and 503 with the details when not', async () => {
    let state: AdminReadiness = { ready: true, details: { material: 'loaded', engine: 'ready' } };
    await withAdmin(
      async () => state,
      async (base) => {
        const ok = await fetch(`${base}/readyz`);
        assert.equal(ok.status, 200);
        assert.equal(((await ok.json()) as any).engine, 'ready');
        state = { ready: false, details: { material: 'loaded', engine: 'isReady false' } };
        const down = await fetch(`${base}/readyz`);
        assert.equal(down.status, 503);
        const body = (await down.json()) as any;
        assert.equal(body.engine, 'isReady false');
        assert.equal(body.material, 'loaded');
      },
    );
  });

  it('answers /readyz 503 when the readiness check throws', async () => {
    await withAdmin(
      async () => {
        throw new Error('engine unreachable');
      },
      async (base) => {
        assert.equal((await fetch(`${base}/readyz`)).status, 503);
      },
    );
  });

  it('serves /metrics as text/plain version 0.0.4 with the recorded counters', async () => {
    await withAdmin(
      async () => ({ ready: true, details: {} }),
      async (base, metrics) => {
        metrics.observeRequest('/v2/*', 200);
        const res = await fetch(`${base}/metrics`);
        assert.equal(res.status, 200);
        assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
        const text = await res.text();
        assert.match(text, /^# TYPE streamfront_requests_total counter$/m);
        assert.match(text, /^streamfront_requests_total\{route="\/v2\/\*",status="200"\} 1$/m);
      },
    );
  });

  it('answers 404 elsewhere and 405 to other methods', async () => {
    await withAdmin(
      async () => ({ ready: true, details: {} }),
      async (base) => {
        assert.equal((await fetch(`${base}/v2/ready`)).status, 404);
        assert.equal((await fetch(`${base}/metrics`, { method: 'POST' })).status, 405);
      },
    );
  });

  it('refuses to listen on a non-loopback address, naming admin_ip', async () => {
    const admin = buildAdminServer({
      metrics: new FrontMetrics({ serverName: 's' }),
      serverName: 's',
      readiness: async () => ({ ready: true, details: {} }),
      logger: silent,
    });
    for (const host of ['0.0.0.0', '::', '192.168.1.10', 'localhost']) {
      await assert.rejects(admin.listen(host, 0), (err: unknown) => {
        assert.ok(err instanceof StreamfrontError);
        assert.equal(err.code, 'ADMIN_NOT_LOOPBACK');
        assert.equal(err.item, 'admin_ip');
        assert.match(err.message, new RegExp(host.replace(/\./g, '\\.')));
        return true;
      });
    }
    await admin.close();
  });

  it('listens on a non-loopback address when allowRemote (admin_allow_remote=on) says so, with a warning', async () => {
    const warnings: string[] = [];
    const logger = { warn: (_o: object, m?: string) => void warnings.push(m ?? ''), info: () => {} };
    const admin = buildAdminServer({
      metrics: new FrontMetrics({ serverName: 's' }),
      serverName: 's',
      readiness: async () => ({ ready: true, details: {} }),
      logger,
      allowRemote: true,
    });
    const port = await admin.listen('0.0.0.0', 0);
    try {
      assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
      assert.equal(warnings.length, 1);
      assert.match(
        warnings[0] ?? '',
        /^admin listener on 0\.0\.0\.0 \(admin_allow_remote=on\): other hosts can read \/healthz, \/readyz and \/metrics without authentication/,
      );
    } finally {
      await admin.close();
    }
  });

  it('treats only loopback literals as loopback', () => {
    assert.equal(isLoopbackAddress('127.0.0.1'), true);
    assert.equal(isLoopbackAddress('127.5.0.1'), true);
    assert.equal(isLoopbackAddress('::1'), true);
    assert.equal(isLoopbackAddress('::ffff:127.0.0.1'), true);
    assert.equal(isLoopbackAddress('10.0.0.1'), false);
    assert.equal(isLoopbackAddress('::ffff:10.0.0.1'), false);
  });
});
