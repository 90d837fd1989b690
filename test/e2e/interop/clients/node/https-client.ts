// Interop client: Node's https.request with its defaults (the global agent, which keeps
// connections alive since Node 19). Run as its own process; see batch.ts.
import { globalAgent, request, type RequestOptions } from 'node:https';
import { readFileSync } from 'node:fs';
import { headOf, type BatchSpec } from '../../matrix.js';
import { describeError, piecesOf, runBatch, type Client } from './batch.js';

function makeClient(spec: BatchSpec): Client {
  const tls: RequestOptions = {
    ca: readFileSync(spec.caFile),
    cert: readFileSync(spec.certFile),
    key: readFileSync(spec.keyFile),
  };
  const send: Client['send'] = (cell, body) =>
    new Promise((resolve) => {
      let status = 0;
      let connection: string | null = null;
      let isNewConnection: boolean | null = null;
      const done = (error: string | null, head: string): void =>
        resolve({ status, error, bodyHead: head, connection, isNewConnection });
      const req = request(
        `${spec.baseUrl}${cell.path}`,
        { method: 'POST', headers: { 'content-type': 'application/json' }, ...tls },
        (res) => {
          status = res.statusCode ?? 0;
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => done(null, headOf(Buffer.concat(chunks).toString('utf8'))));
          res.on('error', (err) => done(describeError(err), headOf(Buffer.concat(chunks).toString('utf8'))));
        },
      );
      req.on('socket', (socket) => {
        // reusedSocket: the agent handed over a kept-alive connection. The local port names it.
        isNewConnection = !req.reusedSocket;
        const name = (): void => void (connection = socket.localPort === undefined ? null : String(socket.localPort));
        if (socket.localPort !== undefined) name();
        else socket.once('connect', name);
      });
      req.setTimeout(spec.requestTimeoutMs, () =>
        req.destroy(new Error(`no answer within ${spec.requestTimeoutMs} ms`)),
      );
      req.on('error', (err) => {
        // An error after the answer ended changes nothing the client saw.
        if (status === 0) done(describeError(err), '');
      });
      if (cell.isChunked) {
        // Several writes and no Content-Length: Node sends Transfer-Encoding: chunked.
        for (const piece of piecesOf(body)) req.write(piece);
        req.end();
      } else {
        // One end(body): Node sets Content-Length itself.
        req.end(body);
      }
    });
  return { send, close: async () => globalAgent.destroy() };
}

await runBatch('node https', process.version, makeClient);
