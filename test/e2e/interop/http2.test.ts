// Interop matrix over HTTP/2: the front with http2=on, and clients that offer h2 (curl --http2,
// httpx Client(http2=True), Go net/http's transport). Every answer must have come over h2; refused
// clients (no certificate, another CA's, revoked) must read the front's answer over h2 too.
import { curlHttp2 } from './clients/curl.js';
import { goDefault } from './clients/go.js';
import { pythonHttpxHttp2 } from './clients/python.js';
import { describeInterop } from './suite.js';

describeInterop('HTTP/2 (http2=on)', [curlHttp2, pythonHttpxHttp2, goDefault], { http2: true, refusals: true });
