// The front's own count of answers in flight per connection, which decides whether a revoked
// client's connection can be closed at once and what a graceful shutdown waits for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, Agent, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { currentAnswer, isIdle } from '../../../src/server/in-flight.js';

test('a connection is busy from the request until its answer finishes, then idle again', async () => {
  let held: { socket: Socket; res: ServerResponse } | undefined;
  let connection: Socket | undefined;
  const server = createServer((req, res) => {
    held = { socket: req.socket, res };
    assert.equal(isIdle(req.socket), false);
    assert.equal(currentAnswer(req.socket), res);
    res.end('ok');
  });
  server.on('connection', (socket: Socket) => {
    connection = socket;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const agent = new Agent({ keepAlive: true });
  try {
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve, reject) => {
      request({ host: '127.0.0.1', port, agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      })
        .on('error', reject)
        .end();
    });
    assert.ok(held !== undefined && connection !== undefined);
    assert.equal(held.socket, connection);
    // The keep-alive connection is still open and answers nothing now.
    assert.equal(connection.destroyed, false);
    assert.equal(isIdle(connection), true);
    assert.equal(currentAnswer(connection), undefined);
  } finally {
    agent.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
