// Interop matrix, Go: net/http with the default transport, plain and with Expect: 100-continue.
import { goDefault, goExpect } from './clients/go.js';
import { describeInterop } from './suite.js';

describeInterop('Go', [goDefault, goExpect]);
