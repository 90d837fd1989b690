// A client without a certificate trying to lock everyone out, as its own process so that its
// work does not slow the test's good client: it opens silent TCP connections, then TLS
// connections that finish the handshake and then send nothing, and keeps all it can open.
// Run: node attacker.js PORT SILENT TLS CONCURRENCY HOLD_MS. Prints one JSON line when done.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

interface Tally {
  opened: number;
  handshakes: number;
  failed: number;
  closedByFront: number;
}

function openSilent(port: number, tally: Tally, held: Socket[]): Promise<void> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: '127.0.0.1', port });
    socket.on('error', () => undefined);
    socket.once('connect', () => {
      tally.opened++;
      held.push(socket);
      socket.once('close', () => tally.closedByFront++);
      resolve();
    });
    socket.once('close', () => resolve());
  });
}

function openIdleTls(port: number, tally: Tally, held: Socket[]): Promise<void> {
  return new Promise((resolve) => {
    // No certificate and no CA check: the attacker only wants the socket.
    const socket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false });
    let isSecured = false;
    socket.on('error', () => undefined);
    socket.once('secureConnect', () => {
      isSecured = true;
      tally.handshakes++;
      held.push(socket);
      socket.once('close', () => tally.closedByFront++);
      resolve();
    });
    socket.once('close', () => {
      if (!isSecured) tally.failed++;
      resolve();
    });
  });
}

async function inParallel(total: number, concurrency: number, open: () => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < total) {
      next++;
      await open();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
}

async function main(): Promise<void> {
  const [port, silent, tls, concurrency, holdMs] = process.argv.slice(2).map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const tally: Tally = { opened: 0, handshakes: 0, failed: 0, closedByFront: 0 };
  const held: Socket[] = [];
  const t0 = performance.now();
  await inParallel(silent, concurrency, () => openSilent(port, tally, held));
  await inParallel(tls, concurrency, () => openIdleTls(port, tally, held));
  const attackMs = Math.round(performance.now() - t0);
  await new Promise((resolve) => setTimeout(resolve, holdMs));
  const stillOpen = held.filter((s) => !s.destroyed).length;
  process.stdout.write(`${JSON.stringify({ ...tally, attackMs, stillOpen })}\n`);
  for (const s of held) s.destroy();
}

void main();
