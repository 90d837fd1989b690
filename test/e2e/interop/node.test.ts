// Interop matrix, Node: the https module with its global agent, and undici.
import { nodeHttps, nodeUndici } from './clients/node.js';
import { describeInterop } from './suite.js';

describeInterop('Node', [nodeHttps, nodeUndici]);
