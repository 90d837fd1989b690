// The V8 flags the serving process starts with. Every launcher that starts the front passes
// them (run.sh, docker/entrypoint.sh, the systemd unit; a test holds them to this list), and the
// worker group gives them to each worker it forks.
//
// --max-semi-space-size=32: the young generation may grow to 32 MB per semi-space (16 MB by
// default on 64-bit Node 20). A proxied request's objects live as long as the engine takes to
// answer; in a smaller young generation they survive two scavenges and are promoted, and the old
// generation fills with garbage. After an idle spell V8's memory reducer sets the old
// generation's limit a few MB above the live heap, and from then on a mark-compact ran every
// 80-140 ms under load: 256 KB uploads cost twice the CPU (1,400 against 700 µs per request)
// until the process restarted. With 32 MB the requests die young. Measured side by side with
// ../shared/bench (docs/performance.md, "V8's young generation"): ka1k 172 -> 145 µs per request,
// ka256k 1,400 -> 757, lat1 p99 added 14.6 -> 3.9 ms; RSS after the runs 156 -> 192 MB, idle
// RSS after start unchanged (93 MB).
export const SERVING_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32'];

/** The flags a forked worker needs on top of `execArgv` (what the primary was started with). */
export function missingServingFlags(execArgv: readonly string[]): string[] {
  return SERVING_NODE_FLAGS.filter((flag) => {
    const name = flag.split('=')[0] as string;
    return !execArgv.some((arg) => arg === name || arg.startsWith(`${name}=`));
  });
}
