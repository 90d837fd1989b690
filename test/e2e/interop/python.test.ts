// Interop matrix, Python: requests and httpx as Debian ships them, run by /usr/bin/python3;
// httpx also with HTTP/2 offered, which must fall back to the front's HTTP/1.1.
import { pythonHttpx, pythonHttpxHttp2, pythonRequests } from './clients/python.js';
import { describeInterop } from './suite.js';

describeInterop('Python', [pythonRequests, pythonHttpx, pythonHttpxHttp2]);
