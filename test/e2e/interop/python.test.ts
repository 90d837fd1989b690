// Interop matrix, Python: requests and httpx as Debian ships them, run by /usr/bin/python3.
import { pythonHttpx, pythonRequests } from './clients/python.js';
import { describeInterop } from './suite.js';

describeInterop('Python', [pythonRequests, pythonHttpx]);
