// A serving worker of the group (workers > 1): the TLS front only, on the port the primary
// shares. Material, ticket keys and the order to drain come from the primary; log lines and
// metrics go back to it, so the group has one log writer and one /metrics.
import pino, { type Logger } from 'pino';
import { carryError, fromTransfer } from '../reload/load-request.js';
import type { TicketKeyHolder } from '../tls/ticket-keys.js';
import { startFront, type FrontHandle } from './front.js';
import { FrontMetrics } from './metrics.js';
import type { FromWorker, ToWorker, WiredMaterial } from './worker-protocol.js';

/** Lines are batched up to this size (or LOG_FLUSH_MS) into one message to the primary. */
const LOG_BATCH_BYTES = 8 * 1024;
const LOG_FLUSH_MS = 250;

function send(message: FromWorker, done?: () => void): void {
  // After the primary is gone the channel is closed; cluster ends this process then anyway.
  if (!process.connected) {
    done?.();
    return;
  }
  process.send?.(message, undefined, {}, () => done?.());
}

/** pino's destination: lines relayed to the primary, which writes them where its own go. */
class LogRelay {
  private pending = '';
  private readonly timer = setInterval(() => this.flush(), LOG_FLUSH_MS);

  constructor() {
    this.timer.unref();
  }

  write(line: string): void {
    this.pending += line;
    if (this.pending.length >= LOG_BATCH_BYTES) this.flush();
  }

  flush(done?: () => void): void {
    if (this.pending === '') {
      done?.();
      return;
    }
    const text = this.pending;
    this.pending = '';
    send({ type: 'log', text }, done);
  }
}

function materialOf(wired: WiredMaterial) {
  return fromTransfer(wired.material, wired.revokedSerials);
}

const relay = new LogRelay();
let front: FrontHandle | undefined;
let logger: Logger | undefined;
let metrics: FrontMetrics | undefined;
let ticketHolder: TicketKeyHolder | undefined;
/** The group's key as this worker last heard it. */
let ticketKey: Buffer | undefined;
/** Set by each apply: the key a revocation change switches to, the same in every worker. */
let revocationKey: Buffer | undefined;
let isRotated = false;
let draining: Promise<void> | undefined;
/** shutdown_grace_ms, for a SIGTERM sent to this worker alone. */
let ownGraceMs = 0;

function setTicketKey(key: Buffer): void {
  ticketKey = key;
  ticketHolder?.setTicketKeys(key);
}

function exitAfterLogs(code: number): void {
  relay.flush(() => process.exit(code));
}

async function init(message: Extract<ToWorker, { type: 'init' }>): Promise<void> {
  const { config } = message;
  ownGraceMs = config.shutdownGraceMs;
  logger = pino(
    {
      level: message.logLevel,
      base: { server: config.serverName, worker: message.id },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    relay,
  );
  // With its process series: memory and event-loop lag are per worker on the group's /metrics.
  metrics = new FrontMetrics({ serverName: config.serverName, withProcess: true });
  try {
    front = await startFront({
      config,
      material: materialOf(message.wired),
      logger,
      metrics,
      ticketKeys: (holder) => {
        ticketHolder = holder;
        setTicketKey(message.ticketKey);
        return {
          rotate: () => {
            if (revocationKey !== undefined) setTicketKey(revocationKey);
            isRotated = true;
          },
          stop: () => {},
        };
      },
    });
  } catch (err) {
    send({ type: 'failed', error: carryError(err) }, () => exitAfterLogs(1));
    return;
  }
  // node:cluster hands a listening worker the ticket keys the first worker listened with, which
  // are stale after a rotation: the group's current key is set again.
  if (ticketKey !== undefined) setTicketKey(ticketKey);
  send({ type: 'ready', port: front.port });
}

function drain(graceMs: number): void {
  const serving = front;
  if (draining !== undefined) return;
  if (serving === undefined) {
    draining = Promise.resolve();
    exitAfterLogs(0);
    return;
  }
  draining = serving.shutdown(graceMs).then(() => exitAfterLogs(0));
}

/** Settles once the front listens (or failed): later messages wait for it, in order. */
let started: Promise<void> = Promise.resolve();

function handle(message: ToWorker): void {
  if (message.type === 'init') {
    started = init(message);
    return;
  }
  void started.then(() => handleServing(message));
}

function handleServing(message: Exclude<ToWorker, { type: 'init' }>): void {
  switch (message.type) {
    case 'apply': {
      if (front === undefined) return;
      revocationKey = message.revocationTicketKey;
      isRotated = false;
      try {
        front.applyMaterial(materialOf(message.wired));
        send({ type: 'applied', seq: message.seq, isRotated });
      } catch (err) {
        send({ type: 'apply-failed', seq: message.seq, error: carryError(err) });
      }
      return;
    }
    case 'ticket-key':
      setTicketKey(message.key);
      return;
    case 'metrics':
      send({ type: 'metrics', seq: message.seq, text: metrics?.render() ?? '' });
      return;
    case 'ping':
      send({ type: 'pong' });
      return;
    case 'drain':
      drain(message.graceMs);
      return;
  }
}

process.on('message', (message: ToWorker) => handle(message));
send({ type: 'booted' });
// A terminal's Ctrl-C and hangup reach the whole process group: the primary decides, so the
// worker neither dies at once nor reloads on its own. A SIGTERM sent to this worker alone
// drains it; the primary then starts a replacement.
process.on('SIGINT', () => {});
process.on('SIGHUP', () => {});
process.on('SIGTERM', () => drain(ownGraceMs));
