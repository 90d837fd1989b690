// The session-ticket key: a ticket resumes until the key is replaced, never after; the key is
// replaced on its schedule without anything else happening.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it, mock } from 'node:test';
import type { AddressInfo } from 'node:net';
import { connect, createServer, type Server, type TLSSocket } from 'node:tls';
import { TICKET_KEY_PERIOD_MS, TicketKeys } from '../../../src/tls/ticket-keys.js';
import { buildTestPki, type TestPki } from './pki-openssl.js';

describe('session-ticket keys', () => {
  afterEach(() => mock.timers.reset());

  it('replaces the key once per period, a new random key each time, and stops when told', () => {
    mock.timers.enable({ apis: ['setInterval'] });
    const keys: Buffer[] = [];
    const ticketKeys = new TicketKeys({ setTicketKeys: (key) => keys.push(key) });
    mock.timers.tick(TICKET_KEY_PERIOD_MS - 1);
    assert.equal(keys.length, 0, 'not before the period');
    mock.timers.tick(1);
    mock.timers.tick(TICKET_KEY_PERIOD_MS);
    assert.equal(keys.length, 2);
    assert.equal(keys[0]?.length, 48);
    assert.notDeepEqual(keys[0], keys[1]);
    ticketKeys.stop();
    mock.timers.tick(3 * TICKET_KEY_PERIOD_MS);
    assert.equal(keys.length, 2, 'no rotation after stop');
    assert.equal(ticketKeys.rotations, 2);
  });

  describe('on a real TLS server', () => {
    let pki: TestPki;
    let server: Server;
    let ticketKeys: TicketKeys;
    before(async () => {
      pki = buildTestPki();
      server = createServer({ cert: pki.server.cert, key: pki.server.key, minVersion: 'TLSv1.3' }, (socket) =>
        socket.end('ok'),
      );
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      ticketKeys = new TicketKeys(server);
    });
    after(() => {
      ticketKeys.stop();
      server.close();
      pki.cleanup();
    });

    /** One connection offering `session` (if any); whether it resumed, and the ticket it got. */
    function connectOnce(session?: Buffer): Promise<{ reused: boolean; session: Buffer | undefined }> {
      return new Promise((resolve, reject) => {
        const { port } = server.address() as AddressInfo;
        let ticket: Buffer | undefined;
        const socket: TLSSocket = connect({ host: '127.0.0.1', port, ca: pki.caPem, session });
        socket.on('session', (s: Buffer) => {
          ticket = s;
        });
        socket.on('error', reject);
        socket.on('data', () => undefined);
        socket.on('end', () => resolve({ reused: socket.isSessionReused(), session: ticket }));
      });
    }

    it('a ticket resumes until the key is replaced, and not after', async () => {
      const first = await connectOnce();
      assert.equal(first.reused, false);
      assert.ok(first.session, 'the server sent a ticket');
      assert.equal((await connectOnce(first.session)).reused, true, 'resumed with the current key');
      ticketKeys.rotate();
      const afterRotation = await connectOnce(first.session);
      assert.equal(afterRotation.reused, false, 'a ticket of the replaced key does not resume');
      assert.equal((await connectOnce(afterRotation.session)).reused, true, 'the new key issues tickets that resume');
    });
  });
});
