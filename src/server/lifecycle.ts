// Graceful close of the front: stop accepting, let requests in flight finish within the grace
// time (their connections close after the answer), close idle keep-alive connections at once.
import type { TLSSocket } from 'node:tls';
import type { H2Sessions } from './h2-sessions.js';
import { sessionOf } from './h2-sessions.js';
import { currentAnswer, isIdle } from './in-flight.js';

export { isIdle };

/** After the current answer this connection ends; idle ones end now. */
export function closeAfterCurrent(socket: TLSSocket): void {
  const res = currentAnswer(socket);
  if (res === undefined) {
    socket.destroy();
  } else if (!res.headersSent) {
    res.shouldKeepAlive = false;
  } else {
    res.once('finish', () => socket.destroy());
  }
}

export async function closeGracefully(
  app: { close(): PromiseLike<unknown> },
  sockets: ReadonlySet<TLSSocket>,
  graceMs: number,
  h2?: H2Sessions,
): Promise<void> {
  // h2 connections first: each gets GOAWAY once its streams in flight have finished, and the
  // server's own close (which from Node 24 on closes every session at once) goes through this.
  h2?.closeAll();
  const closing = app.close();
  for (const socket of sockets) if (sessionOf(socket) === undefined) closeAfterCurrent(socket);
  const timer = setTimeout(() => {
    for (const socket of sockets) socket.destroy();
  }, graceMs);
  try {
    await closing;
  } finally {
    clearTimeout(timer);
  }
}
