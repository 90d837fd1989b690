// Interop matrix, curl: default settings, --http1.0, and -H 'Expect:' (no 100-continue).
import { curlDefault, curlHttp10, curlNoExpect } from './clients/curl.js';
import { describeInterop } from './suite.js';

describeInterop('curl', [curlDefault, curlHttp10, curlNoExpect]);
