// The unauthenticated budget with real TCP sockets: the oldest unauthenticated connection makes
// room for a new one, an authenticated one never does, and the listener's ceiling drops the rest.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { ConnectionBudget, type TurnedAwayReason } from '../../../src/server/connection-budget.js';

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
}

interface Client {
  readonly socket: Socket;
  readonly closed: Promise<void>;
}

async function open(port: number, count: () => number): Promise<Client> {
  const before = count();
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise((resolve) => socket.once('connect', resolve));
  // The server side has seen it (or dropped it) once the server's count moved or it closed.
  await Promise.race([
    closed,
    new Promise<void>((resolve) => {
      const poll = (): void => (count() > before ? resolve() : void setTimeout(poll, 5));
      poll();
    }),
  ]);
  return { socket, closed };
}

describe('connection budget', () => {
  it('closes the oldest unauthenticated connection for a new one, never an authenticated one, and drops at the ceiling', async () => {
    const turnedAway: TurnedAwayReason[] = [];
    const server = createServer(() => undefined);
    const budget = new ConnectionBudget({
      maxAuthenticated: 2,
      maxUnauthenticated: 2,
      onTurnedAway: (reason) => turnedAway.push(reason),
    });
    budget.attach(server);
    let seen = 0;
    server.on('connection', () => seen++);
    server.on('drop', () => seen++);
    const port = await listen(server);
    const authenticate = (client: Client): void =>
      budget.markAuthenticated({ remoteAddress: '127.0.0.1', remotePort: client.socket.localPort });
    const clients: Client[] = [];
    try {
      const count = (): number => seen;
      const a = await open(port, count);
      const b = await open(port, count);
      clients.push(a, b);
      // A shows a valid certificate: it leaves the budget and can no longer be evicted.
      authenticate(a);
      assert.equal(budget.unauthenticatedCount, 1);
      const c = await open(port, count);
      const d = await open(port, count);
      clients.push(c, d);
      // D pushed the oldest unauthenticated one (B) out; A stays.
      await b.closed;
      assert.deepEqual(turnedAway, ['unauthenticated-evicted']);
      assert.equal(a.socket.destroyed, false, 'the authenticated connection stays');
      assert.equal(budget.unauthenticatedCount, 2);
      // C authenticates too: 2 authenticated + 2 unauthenticated is the ceiling, so the next is dropped.
      authenticate(c);
      const e = await open(port, count);
      const f = await open(port, count);
      clients.push(e, f);
      await f.closed;
      assert.deepEqual(turnedAway, ['unauthenticated-evicted', 'connection-limit']);
      assert.equal(e.socket.destroyed, false);
    } finally {
      for (const client of clients) client.socket.destroy();
      server.close();
    }
  });
});
