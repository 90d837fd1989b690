// The one loopback rule, shared by the admin_ip check in the config and the admin listener's
// own refusal, so the two can never disagree about an address.
import { BlockList, isIP } from 'node:net';

// BlockList compares addresses, not spellings: '0:0:0:0:0:0:0:1', '::0:1' and the IPv4-mapped
// '::ffff:127.0.0.1' (a dual-stack socket bound there hears loopback only) all match.
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** True for 127.0.0.0/8, ::1 and IPv4-mapped 127.x in any spelling; names (even "localhost") are not trusted. */
export function isLoopbackAddress(host: string): boolean {
  const kind = isIP(host);
  if (kind === 0) return false;
  return LOOPBACK.check(host, kind === 4 ? 'ipv4' : 'ipv6');
}
