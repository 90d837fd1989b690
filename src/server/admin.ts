// The admin listener (plain HTTP): /healthz, /readyz and /metrics. It has no authentication,
// so it refuses any address a remote machine could reach unless told allowRemote explicitly.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isLoopbackAddress } from '../config/loopback.js';
import { StreamfrontError } from '../errors/error.js';

export interface AdminReadiness {
  ready: boolean;
  details: Record<string, unknown>;
}

/** The part of a pino logger the admin listener uses. */
export interface AdminLogger {
  warn(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
}

/** What /metrics renders: one FrontMetrics, or a worker group's merge (which asks its workers). */
export interface MetricsSource {
  render(): string | Promise<string>;
}

export interface AdminServerOptions {
  metrics: MetricsSource;
  serverName: string;
  readiness: () => Promise<AdminReadiness>;
  logger: AdminLogger;
  /** admin_allow_remote=on: a non-loopback address is allowed (with a warning at listen). */
  allowRemote?: boolean;
}

export interface AdminServer {
  /** Resolves with the bound port (useful with port 0). */
  listen(host: string, port: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * The paths the admin listener serves. The Kubernetes probes and the container health check name
 * them too; test/unit/deploy checks the manifests against these, so a rename cannot strand a probe.
 */
export const ADMIN_PATHS = { liveness: '/healthz', readiness: '/readyz', metrics: '/metrics' } as const;
const ADMIN_PATH_LIST = Object.values(ADMIN_PATHS);

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export { isLoopbackAddress };

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}

export function buildAdminServer(opts: AdminServerOptions): AdminServer {
  const { metrics, serverName, readiness, logger } = opts;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return send(res, 405, 'application/json', JSON.stringify({ error: 'method not allowed' }));
    }
    switch (path) {
      case ADMIN_PATHS.liveness:
        return send(res, 200, 'application/json', JSON.stringify({ status: 'up', serverName }));
      case ADMIN_PATHS.readiness: {
        let result: AdminReadiness;
        try {
          result = await readiness();
        } catch (err) {
          // A throwing check means "not ready", never a crash of the admin listener.
          logger.warn(
            { event: 'readiness_check_failed', reason: err instanceof Error ? err.message : String(err) },
            'readiness check failed',
          );
          result = { ready: false, details: { error: 'readiness check failed' } };
        }
        const body = JSON.stringify({ status: result.ready ? 'ready' : 'not ready', serverName, ...result.details });
        return send(res, result.ready ? 200 : 503, 'application/json', body);
      }
      case ADMIN_PATHS.metrics:
        return send(res, 200, METRICS_CONTENT_TYPE, await metrics.render());
      default:
        return send(res, 404, 'application/json', JSON.stringify({ error: 'not found', paths: ADMIN_PATH_LIST }));
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, 'application/json', JSON.stringify({ error: 'internal error' }));
      else res.destroy();
    });
  });

  return {
    listen(host: string, port: number): Promise<number> {
      if (!isLoopbackAddress(host) && opts.allowRemote === true) {
        logger.warn(
          { event: 'admin_remote', host },
          `admin listener on ${host} (admin_allow_remote=on): other hosts can read ${ADMIN_PATH_LIST.slice(0, -1).join(', ')} and ${ADMIN_PATH_LIST.at(-1)} without authentication; restrict it with a firewall or network policy`,
        );
      } else if (!isLoopbackAddress(host)) {
        return Promise.reject(
          new StreamfrontError(
            'ADMIN_NOT_LOOPBACK',
            `admin_ip ${host} is not a loopback address; the admin listener has no authentication and serves loopback only`,
            {
              item: 'admin_ip',
              hint: 'set admin_ip=127.0.0.1 (or ::1) in streamserver.conf, or admin_allow_remote=on to expose it',
            },
          ),
        );
      }
      return new Promise<number>((resolve, reject) => {
        const onError = (err: NodeJS.ErrnoException): void => {
          reject(
            new StreamfrontError(
              'ADMIN_LISTEN_FAILED',
              `admin listener cannot listen on ${host}:${port} (${err.code ?? err.message})`,
              {
                item: 'admin_port',
                hint: 'choose a free admin_port in streamserver.conf',
                cause: err,
              },
            ),
          );
        };
        server.once('error', onError);
        server.listen(port, host, () => {
          server.off('error', onError);
          const bound = (server.address() as AddressInfo).port;
          logger.info({ event: 'admin_listening', host, port: bound }, 'admin listener up');
          resolve(bound);
        });
      });
    },
    close(): Promise<void> {
      return new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
