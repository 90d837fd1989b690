// One proxied request as undici's dispatcher sees it: the client's head and body go to the
// engine, and the engine's answer is written into the client's response chunk by chunk, as
// undici delivers it, with undici's own flow control (pause when the client is slow, resume on
// 'drain'). No readable stream sits between the two sockets: handing Fastify the engine's body
// as a stream to pipe cost a fifth of a small request's CPU (docs/performance.md, "Below
// @fastify/reply-from").
//
// What the answer means (headers, status, faults) is the plugin's business, through
// ExchangeRules; this module only moves bytes and tells who stopped first.
import type { FastifyReply } from 'fastify';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';

export interface ExchangeRules {
  /** The engine's head arrived: the headers the client gets. Throws to refuse the answer (502). */
  answerHead(reply: FastifyReply, statusCode: number, headers: IncomingHttpHeaders): OutgoingHttpHeaders;
  /** Nothing reached the client yet: the front answers the fault itself. */
  failBeforeAnswer(reply: FastifyReply, err: Error): void;
  /** The engine's answer broke off after its head went to the client. */
  cutOffByEngine(reply: FastifyReply, err: Error): void;
}

type Response = FastifyReply['raw'];
type Marked = { [kExchange]?: EngineExchange };

const kExchange = Symbol('streamfront.exchange');

/** Thrown into undici when the client's response closed first: the engine request is dropped. */
const CLIENT_CLOSED = Object.freeze(
  Object.assign(new Error('the client closed its response'), { code: 'STREAMFRONT_CLIENT_CLOSED' }),
);

// Shared listeners, the exchange found on the emitter: no closure per request.
function onResponseDrain(this: Response & Marked): void {
  this[kExchange]?.resumeEngine();
}

function onResponseClose(this: Response & Marked): void {
  this[kExchange]?.clientClosed();
}

function onBodyError(this: NodeJS.ReadableStream & Marked, err: Error): void {
  this[kExchange]?.clientBodyFailed(err);
}

export class EngineExchange implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  /** The engine's head went to the client: faults from now on cut the answer short. */
  private isAnswering = false;
  /** Ended one way or another: later callbacks from either side are ignored. */
  private isOver = false;

  constructor(
    private readonly reply: FastifyReply,
    private readonly rules: ExchangeRules,
  ) {}

  /** Sends the request; every outcome arrives through the handler methods below. */
  start(dispatcher: Dispatcher, options: Dispatcher.DispatchOptions): void {
    const res = this.reply.raw as Response & Marked;
    res[kExchange] = this;
    res.once('close', onResponseClose);
    const body = options.body as (NodeJS.ReadableStream & Marked) | null | undefined;
    if (body !== null && body !== undefined && typeof body.on === 'function') {
      // A client body that fails before undici reads it would otherwise throw with no listener.
      body[kExchange] = this;
      body.on('error', onBodyError);
    }
    dispatcher.dispatch(options, this);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.isOver) controller.abort(CLIENT_CLOSED);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    // 1xx from the engine: only its final answer is relayed (the front answers Expect itself).
    if (statusCode < 200 || this.isOver) return;
    const reply = this.reply;
    let out: OutgoingHttpHeaders;
    try {
      out = this.rules.answerHead(reply, statusCode, headers);
    } catch (err) {
      controller.abort(err as Error);
      return;
    }
    const res = reply.raw as Response & Marked;
    res.writeHead(statusCode, out);
    this.isAnswering = true;
    // From here the response is written by hand; Fastify still runs onResponse at its 'finish'.
    reply.hijack();
    res.on('drain', onResponseDrain);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!(this.reply.raw as Response).write(chunk)) controller.pause();
  }

  onResponseEnd(): void {
    if (this.isOver) return;
    this.isOver = true;
    (this.reply.raw as Response).end();
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    if (this.isOver) return;
    this.isOver = true;
    if (!this.isAnswering) {
      this.rules.failBeforeAnswer(this.reply, err);
      return;
    }
    this.rules.cutOffByEngine(this.reply, err);
    // Marked first, then cut: the access line written at the response's 'close' names the engine.
    (this.reply.raw as Response).destroy();
  }

  /** The client's body broke off (reset mid-upload, or over the limit): the engine's request goes too. */
  clientBodyFailed(err: Error): void {
    if (this.isOver) return;
    this.onResponseError(undefined, err);
    this.controller?.abort(err);
  }

  resumeEngine(): void {
    this.controller?.resume();
  }

  /** The client's response closed: before the end, the engine's request is dropped. */
  clientClosed(): void {
    if (this.isOver) return;
    this.isOver = true;
    this.controller?.abort(CLIENT_CLOSED);
  }
}
