// The connections to the engine: one undici Pool, over TCP or the engine's unix socket.
import { Pool } from 'undici';
import type { FrontServingConfig } from '../config/items.js';

/** Enough for every request a busy front has in flight; the engine sees at most this many connections. */
const ENGINE_CONNECTIONS = 256;
/** Below Node's default server keep-alive timeout (5 s): the front lets a socket go before an engine built on Node closes it. */
const ENGINE_KEEP_ALIVE_MS = 4000;

/** engine_url is http://host:port, or an absolute path to the engine's unix socket. */
export function buildEnginePool(config: Pick<FrontServingConfig, 'engineUrl' | 'engineTimeoutMs'>): Pool {
  const isSocket = config.engineUrl.startsWith('/');
  return new Pool(isSocket ? 'http://localhost' : config.engineUrl, {
    ...(isSocket ? { socketPath: config.engineUrl } : {}),
    connections: ENGINE_CONNECTIONS,
    // One request at a time per connection: a pipelined request would wait behind a slow inference.
    pipelining: 1,
    headersTimeout: config.engineTimeoutMs,
    bodyTimeout: config.engineTimeoutMs,
    keepAliveTimeout: ENGINE_KEEP_ALIVE_MS,
  });
}
