// Which connections are answering a request right now, counted by the front itself rather than
// read from Node's private socket fields: an answer counts from its request until it finishes or closes.
import { subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

interface RequestStart {
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
  readonly socket: Socket;
}

/** Answers in flight per connection, oldest first (a Set iterates in insertion order). */
const answersBySocket = new WeakMap<Socket, Set<ServerResponse>>();

function countAnswer(message: unknown): void {
  const { response, socket } = message as RequestStart;
  let answers = answersBySocket.get(socket);
  if (answers === undefined) {
    answers = new Set();
    answersBySocket.set(socket, answers);
  }
  answers.add(response);
  const done = (): void => void answers.delete(response);
  // 'finish' is the answer handed to the socket; 'close' also covers one cut off before that.
  response.once('finish', done);
  response.once('close', done);
}

// Node publishes this for every request a node:http(s) server parses, just before its 'request'
// (or 'checkContinue') event; subscribing when this module loads, before any server is created,
// means no request is missed. Pipelined requests queue behind the one being answered.
subscribe('http.server.request.start', countAnswer);

/** True when no answer is in flight on this connection: closing it now cuts nothing off. */
export function isIdle(socket: Socket): boolean {
  return (answersBySocket.get(socket)?.size ?? 0) === 0;
}

/** The answer this connection is writing now (the oldest in flight), if any. */
export function currentAnswer(socket: Socket): ServerResponse | undefined {
  const answers = answersBySocket.get(socket);
  if (answers === undefined) return undefined;
  for (const answer of answers) return answer;
  return undefined;
}
