// What the front keeps on each Fastify request, declared once for the type checker (Fastify's
// own augmentation point) instead of a cast at every use. The values are set by decorateRequest
// in front.ts, so every request object has the same shape.
import type { PeerIdentity } from '../tls/peer.js';
import type { ConnectionFacts } from './access-fields.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The accepted client's identity, read once per connection; null on a refused connection. */
    peer: PeerIdentity | null;
    /** The connection's facts for the access line (read once per connection), when logging is on. */
    conn: ConnectionFacts | null;
  }
}
