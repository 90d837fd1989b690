// Graceful close of the front: stop accepting, let requests in flight finish within the grace
// time (their connections close after the answer), close idle keep-alive connections at once.
import type { ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';

type HttpSocket = TLSSocket & { _httpMessage?: ServerResponse | null };

/**
 * Node's own marker of a request being answered on this connection (set by assignSocket,
 * cleared by detachSocket); closeIdleConnections relies on the same state.
 */
export function isIdle(socket: TLSSocket): boolean {
  return (socket as HttpSocket)._httpMessage == null;
}

/** After the current answer this connection ends; idle ones end now. */
export function closeAfterCurrent(socket: TLSSocket): void {
  const res = (socket as HttpSocket)._httpMessage;
  if (res == null) {
    socket.destroy();
  } else if (!res.headersSent) {
    res.shouldKeepAlive = false;
  } else {
    res.once('finish', () => socket.destroy());
  }
}

export async function closeGracefully(app: { close(): PromiseLike<unknown> }, sockets: ReadonlySet<TLSSocket>, graceMs: number): Promise<void> {
  const closing = app.close();
  for (const socket of sockets) closeAfterCurrent(socket);
  const timer = setTimeout(() => {
    for (const socket of sockets) socket.destroy();
  }, graceMs);
  try {
    await closing;
  } finally {
    clearTimeout(timer);
  }
}
