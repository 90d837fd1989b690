// Interop client: undici's request() with its defaults, through an Agent given the client
// certificate. Which connection carried each request comes from undici's own diagnostics
// channels. Run as its own process; see batch.ts.
import { subscribe } from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { Agent, request, type DiagnosticsChannel } from 'undici';
import { headOf, type BatchSpec } from '../../matrix.js';
import { describeError, piecesOf, runBatch, type Client } from './batch.js';

const undiciVersion = (createRequire(import.meta.url)('undici/package.json') as { version: string }).version;

function makeClient(spec: BatchSpec): Client {
  const dispatcher = new Agent({
    connect: { ca: readFileSync(spec.caFile), cert: readFileSync(spec.certFile), key: readFileSync(spec.keyFile) },
  });
  // Requests go one at a time, so the last values seen belong to the request in flight.
  let opened = 0;
  let port: string | null = null;
  subscribe('undici:client:connected', () => void opened++);
  subscribe('undici:client:sendHeaders', (message) => {
    const localPort = (message as DiagnosticsChannel.ClientSendHeadersMessage).socket.localPort;
    port = localPort === undefined ? null : String(localPort);
  });
  const send: Client['send'] = async (cell, body) => {
    const openedBefore = opened;
    port = null;
    let status = 0;
    try {
      const res = await request(`${spec.baseUrl}${cell.path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        // A stream of unknown length goes chunked; a Buffer gets its Content-Length.
        body: cell.isChunked ? Readable.from(piecesOf(body)) : body,
        dispatcher,
        headersTimeout: spec.requestTimeoutMs,
        bodyTimeout: spec.requestTimeoutMs,
      });
      status = res.statusCode;
      const text = await res.body.text();
      return { status, error: null, bodyHead: headOf(text), connection: port, isNewConnection: opened > openedBefore };
    } catch (err) {
      return {
        status,
        error: describeError(err),
        bodyHead: '',
        connection: port,
        isNewConnection: opened > openedBefore,
      };
    }
  };
  return { send, close: () => dispatcher.close() };
}

await runBatch('node undici', `${undiciVersion} (Node ${process.version})`, makeClient);
