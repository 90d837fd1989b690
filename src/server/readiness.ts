// /readyz for the running front: the material's state from the reload loop, the CRL, and the
// engine's own GET /v2/ready, asked over the same kind of connection the proxy uses.
//
// The probe has its own undici client dialled exactly as the proxy dials (an http origin, or a
// unix socket path as engine_url), so "ready" and "proxying works" can no longer disagree.
import { Client } from 'undici';
import type { ReloadStatus } from '../reload/reloader.js';
import type { AdminReadiness } from './admin.js';

/** Longest wait for the engine's /v2/ready answer. */
export const ENGINE_PROBE_TIMEOUT_MS = 2_000;

export type EngineState = 'ready' | 'not ready' | 'unreachable';

export interface EngineProbeResult {
  readonly state: EngineState;
  /** Time the engine took to answer (or to fail). */
  readonly seconds: number;
}

export interface EngineProbe {
  probe(): Promise<EngineProbeResult>;
  close(): Promise<void>;
}

/** engine_url as undici needs it: an origin, plus the socket to dial when it is a path. */
export function engineClientTarget(engineUrl: string): { origin: string; socketPath?: string } {
  // Requests over a socket still need an origin for their Host header; the engine ignores it.
  return engineUrl.startsWith('/') ? { origin: 'http://localhost', socketPath: engineUrl } : { origin: engineUrl };
}

export function buildEngineProbe(engineUrl: string, timeoutMs = ENGINE_PROBE_TIMEOUT_MS): EngineProbe {
  const target = engineClientTarget(engineUrl);
  const client = new Client(target.origin, {
    ...(target.socketPath === undefined ? {} : { socketPath: target.socketPath }),
    connectTimeout: timeoutMs,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  return {
    async probe(): Promise<EngineProbeResult> {
      const start = performance.now();
      let state: EngineState;
      try {
        const res = await client.request({ method: 'GET', path: '/v2/ready', signal: AbortSignal.timeout(timeoutMs) });
        const body = (await res.body.json().catch(() => ({}))) as { isReady?: unknown };
        state = res.statusCode === 200 && body.isReady === true ? 'ready' : 'not ready';
      } catch {
        state = 'unreachable';
      }
      return { state, seconds: (performance.now() - start) / 1000 };
    },
    close: () => client.close(),
  };
}

/** What the readiness check reads from the serving front. */
export interface ReadinessSources {
  readonly reload: () => ReloadStatus;
  readonly front: {
    readonly material: { readonly serverCert: { readonly serial: string }; readonly ca: { readonly serial: string } };
    readonly crlStatus: {
      readonly hasCrl: boolean;
      readonly entries: number;
      readonly isExpired: boolean;
      readonly isRefusingAll: boolean;
    };
  };
  readonly engine: EngineProbe;
  /** workers > 1: the serving workers listening now, of how many; with none the front is not ready. */
  readonly workers?: () => { readonly serving: number; readonly configured: number };
  /** Told every probe's outcome (the engine gauges). */
  readonly onProbe?: (result: EngineProbeResult) => void;
}

export function buildReadinessCheck(sources: ReadinessSources): () => Promise<AdminReadiness> {
  const onProbe = sources.onProbe ?? ((): void => {});
  return async () => {
    // Stale material stays ready: the last good set still serves; the body says what is wrong.
    const reload = sources.reload();
    const { front } = sources;
    const crl = front.crlStatus;
    const details: Record<string, unknown> = {
      material: reload.isStale ? 'stale' : reload.pending !== undefined ? 'pending' : 'current',
      lastGoodLoad: reload.lastGoodLoadAt.toISOString(),
      serverCertSerial: front.material.serverCert.serial,
      caSerial: front.material.ca.serial,
      crl: crl.hasCrl
        ? {
            entries: crl.entries,
            state: crl.isRefusingAll
              ? 'expired, refusing all clients'
              : crl.isExpired
                ? 'expired, still enforced'
                : 'current',
          }
        : 'none',
    };
    if (reload.pending !== undefined) {
      const p = reload.pending;
      details.reloadPending = {
        since: p.since.toISOString(),
        code: p.code,
        file: p.file,
        reason: p.reason,
        nextAttemptInMs: p.nextAttemptInMs,
      };
    }
    if (reload.lastFailure !== undefined) {
      const f = reload.lastFailure;
      details.reloadRefused = {
        at: f.at.toISOString(),
        material: f.material,
        code: f.code,
        file: f.file,
        reason: f.reason,
      };
    }
    const workers = sources.workers?.();
    if (workers !== undefined) details.workers = { serving: workers.serving, of: workers.configured };
    const result = await sources.engine.probe();
    onProbe(result);
    details.engine = result.state;
    return { ready: result.state === 'ready' && (workers === undefined || workers.serving > 0), details };
  };
}
