// Interop matrix, openssl s_client at TLS 1.2 and at TLS 1.3, with hand-written HTTP/1.1.
import { sClientTls12, sClientTls13 } from './clients/s-client.js';
import { describeInterop } from './suite.js';

describeInterop('openssl s_client', [sClientTls12, sClientTls13]);
