// The one table of the items the front reads: config name, default (as written in the file),
// meaning and value rule. readFrontConfig, the shipped file's test and the docs all use it.
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';

/** pino's levels, most severe first: log_level and run.sh --log-level accept exactly these. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
/** The levels as help text and the docs list them: "fatal, ..., debug or trace". */
export const LOG_LEVELS_TEXT = `${LOG_LEVELS.slice(0, -1).join(', ')} or ${LOG_LEVELS[LOG_LEVELS.length - 1]}`;

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

export type CrlExpiredPolicy = 'keep-enforcing' | 'refuse-all';

export interface FrontConfigValues {
  serverName: string;
  enginePort: number;
  /** engine_url as written, or http://127.0.0.1:<port> when empty; a socket path stays a path. */
  engineUrl: string;
  maxContentLengthKb: number;
  /** OpenSSL cipher string (colon-separated), for Node's `ciphers` option. */
  cipherList: string;
  serverIp: string;
  serverPort: number;
  engineTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  headerTimeoutMs: number;
  maxHeaderSizeKb: number;
  maxConnections: number;
  maxUnauthenticatedConnections: number;
  handshakeTimeoutMs: number;
  maxHeaderFields: number;
  /** True: ALPN offers h2 before http/1.1 (http2=on); off by default, see docs/performance.md. */
  http2: boolean;
  adminIp: string;
  adminPort: number;
  /** True: admin_ip may be an address other machines reach (admin_allow_remote=on). */
  adminAllowRemote: boolean;
  logLevel: LogLevel;
  accessLog: boolean;
  /** '' = stdout; else the folder (relative to the run folder) of rotated log files. */
  frontLogDir: string;
  frontLogMaxMb: number;
  frontLogFiles: number;
  sdpAlgorithmId: 8 | 9;
  shutdownGraceMs: number;
  /** Serving processes sharing server_port; 1 = the front serves in its own process. */
  workers: number;
  reloadPollMs: number;
  crlExpiredPolicy: CrlExpiredPolicy;
  caCrt: string;
  serverCrt: string;
  serverKey: string;
  crl: string;
  serverKeyMm: string;
}

export type FrontConfig = Readonly<FrontConfigValues>;

/** The items the serving core (TLS listener, proxy) reads; the rest matter to the process around it. */
export type FrontServingConfig = Pick<
  FrontConfig,
  | 'serverName'
  | 'serverIp'
  | 'serverPort'
  | 'engineUrl'
  | 'maxContentLengthKb'
  | 'cipherList'
  | 'engineTimeoutMs'
  | 'requestTimeoutMs'
  | 'keepAliveTimeoutMs'
  | 'headerTimeoutMs'
  | 'maxHeaderSizeKb'
  | 'maxConnections'
  | 'maxUnauthenticatedConnections'
  | 'handshakeTimeoutMs'
  | 'maxHeaderFields'
  | 'http2'
  | 'accessLog'
  | 'crlExpiredPolicy'
>;

/** Thrown by a rule with the reason only; readFrontConfig adds file, item and lines. */
export class ItemRuleError extends Error {}

export interface ItemSpec<T> {
  /** Name in streamserver.conf. */
  readonly item: string;
  /** Default as it would be written in the file ('' = empty, see doc). */
  readonly defaultText: string;
  /** One line: what the item means, its unit and range. */
  readonly doc: string;
  /** True for items the native StreamServer reads too. */
  readonly engine: boolean;
  readonly parse: (raw: string) => T;
}

function integer(min: number, max: number, unit = ''): (raw: string) => number {
  return (raw) => {
    if (!/^[0-9]+$/.test(raw))
      throw new ItemRuleError(`'${raw}' is not a whole number; expected ${min} to ${max}${unit}`);
    const n = Number(raw);
    if (n < min || n > max) throw new ItemRuleError(`${raw} is out of range; expected ${min} to ${max}${unit}`);
    return n;
  };
}

function oneOf<T extends string>(choices: readonly T[]): (raw: string) => T {
  return (raw) => {
    if (!(choices as readonly string[]).includes(raw))
      throw new ItemRuleError(`'${raw}' is not one of ${choices.join(', ')}`);
    return raw as T;
  };
}

function ipAddress(raw: string): string {
  if (isIP(raw) === 0) throw new ItemRuleError(`'${raw}' is not an IPv4 or IPv6 address`);
  return raw;
}

function printable(raw: string): string {
  // Control characters would corrupt log lines and admin output.
  if (/[\u0000-\u001f\u007f]/.test(raw)) throw new ItemRuleError('contains control characters');
  return raw;
}

/** The only TLS 1.2 suites the engine's documentation allows. */
export const ALLOWED_CIPHERS = [
  'ECDHE-ECDSA-AES128-CCM',
  'ECDHE-ECDSA-AES256-CCM',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES256-GCM-SHA384',
] as const;

export const DEFAULT_CIPHER_LIST =
  'ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256';

function cipherList(raw: string): string {
  const names = raw.split(':').map((s) => s.trim());
  for (const name of names) {
    if (name === '') throw new ItemRuleError(`'${raw}' has an empty entry; separate suite names with single colons`);
    if (!(ALLOWED_CIPHERS as readonly string[]).includes(name)) {
      throw new ItemRuleError(`'${name}' is not allowed; use only ${ALLOWED_CIPHERS.join(', ')}`);
    }
  }
  return names.join(':');
}

function engineUrl(raw: string): string {
  // Empty: readFrontConfig derives http://127.0.0.1:<port>, since the default depends on port.
  if (raw === '' || raw.startsWith('/')) return raw;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ItemRuleError(`'${raw}' is neither http://host:port nor an absolute unix socket path`);
  }
  if (
    url.protocol !== 'http:' ||
    url.username !== '' ||
    url.password !== '' ||
    (url.pathname !== '/' && url.pathname !== '') ||
    url.search !== '' ||
    url.hash !== ''
  ) {
    throw new ItemRuleError(
      `'${raw}' must be http://host:port with no path, query or credentials, or an absolute unix socket path`,
    );
  }
  return `http://${url.host}`;
}

const text = (raw: string): string => raw;

/** Most serving processes: past a machine's cores more only add memory and context switches. */
export const MAX_WORKERS = 64;

/** workers: a count, or auto = the cores this process may use (cgroup and affinity limits included). */
export function parseWorkers(raw: string, cores: () => number = availableParallelism): number {
  if (raw === 'auto') return Math.min(MAX_WORKERS, Math.max(1, cores()));
  if (!/^[0-9]+$/.test(raw))
    throw new ItemRuleError(`'${raw}' is neither auto nor a whole number from 1 to ${MAX_WORKERS}`);
  return integer(1, MAX_WORKERS)(raw);
}

export const CONFIG_ITEMS: { readonly [K in keyof FrontConfigValues]: ItemSpec<FrontConfigValues[K]> } = {
  serverName: {
    item: 'server_name',
    defaultText: 'StreamServer',
    engine: true,
    doc: 'Name shown in logs and admin endpoints.',
    parse: printable,
  },
  enginePort: {
    item: 'port',
    defaultText: '8080',
    engine: true,
    doc: "The engine's own HTTP port, 1025 to 65535.",
    parse: integer(1025, 65535),
  },
  engineUrl: {
    item: 'engine_url',
    defaultText: '',
    engine: false,
    doc: 'Engine address: http://host:port or an absolute unix socket path; empty = http://127.0.0.1:<port>.',
    parse: engineUrl,
  },
  maxContentLengthKb: {
    item: 'max_content_length',
    defaultText: '20480',
    engine: true,
    doc: 'Largest request body in KB (413 above), 1 to 51200.',
    parse: integer(1, 51200, ' KB'),
  },
  cipherList: {
    item: 'cipher_list',
    defaultText: DEFAULT_CIPHER_LIST,
    engine: true,
    doc: `TLS 1.2 suites, colon-separated, only from: ${ALLOWED_CIPHERS.join(' ')}; TLS 1.3 offers the suites with the same AES-GCM/AES-128-CCM cipher (none for AES256-CCM, never ChaCha20).`,
    parse: cipherList,
  },
  serverIp: {
    item: 'server_ip',
    defaultText: '127.0.0.1',
    engine: false,
    doc: 'Address of the mTLS listener (0.0.0.0 = every interface).',
    parse: ipAddress,
  },
  serverPort: {
    item: 'server_port',
    defaultText: '8443',
    engine: false,
    doc: 'Port of the mTLS listener, 0 to 65535 (0 = any free port).',
    parse: integer(0, 65535),
  },
  engineTimeoutMs: {
    item: 'engine_timeout_ms',
    defaultText: '60000',
    engine: false,
    doc: 'Longest wait for the engine answer in ms (504 after; up to ~0.5 s later, the HTTP client timers are coarse), 1 to 600000; the engine itself waits up to 60 s.',
    parse: integer(1, 600000, ' ms'),
  },
  requestTimeoutMs: {
    item: 'request_timeout_ms',
    defaultText: '90000',
    engine: false,
    doc: 'Longest time for a whole request including the upload in ms, 1000 to 3600000.',
    parse: integer(1000, 3600000, ' ms'),
  },
  keepAliveTimeoutMs: {
    item: 'keep_alive_timeout_ms',
    defaultText: '5000',
    engine: false,
    doc: 'Idle keep-alive connections close after this many ms (Node adds up to 1 s of grace; clients are told whole seconds), 1 to 600000.',
    parse: integer(1, 600000, ' ms'),
  },
  headerTimeoutMs: {
    item: 'header_timeout_ms',
    defaultText: '10000',
    engine: false,
    doc: 'Longest time to receive request headers in ms (slow clients), 1 to 600000.',
    parse: integer(1, 600000, ' ms'),
  },
  maxHeaderSizeKb: {
    item: 'max_header_size_kb',
    defaultText: '16',
    engine: false,
    doc: 'Largest request header block in KB (431 above), 1 to 1024.',
    parse: integer(1, 1024, ' KB'),
  },
  maxConnections: {
    item: 'max_connections',
    defaultText: '1024',
    engine: false,
    doc: 'Most simultaneous connections of authenticated clients (503 above), 1 to 1000000.',
    parse: integer(1, 1000000),
  },
  maxUnauthenticatedConnections: {
    item: 'max_unauthenticated_connections',
    defaultText: '256',
    engine: false,
    doc: 'Most connections still in their TLS handshake or refused and awaiting their answer; past it the oldest is closed, 1 to 1000000.',
    parse: integer(1, 1000000),
  },
  handshakeTimeoutMs: {
    item: 'handshake_timeout_ms',
    defaultText: '10000',
    engine: false,
    doc: 'Longest time from TCP connect to a finished TLS handshake in ms (also how long a refused client has to send its request), 100 to 120000.',
    parse: integer(100, 120000, ' ms'),
  },
  maxHeaderFields: {
    item: 'max_header_fields',
    defaultText: '100',
    engine: false,
    doc: 'Most header fields in one request (431 above), 1 to 1000.',
    parse: integer(1, 1000),
  },
  http2: {
    item: 'http2',
    defaultText: 'off',
    engine: false,
    doc: 'on: offer HTTP/2 (ALPN h2) next to HTTP/1.1 on the TLS port, same identity, revocation, limits and logs per stream; off by default (with it on, 1 KB requests over HTTP/1.1 cost 2-5% more CPU in an idle A/B; docs/performance.md). on or off.',
    parse: (raw) => oneOf(['on', 'off'])(raw) === 'on',
  },
  // Loopback unless admin_allow_remote=on: readFrontConfig checks the pair.
  adminIp: {
    item: 'admin_ip',
    defaultText: '127.0.0.1',
    engine: false,
    doc: 'Address of the plain-HTTP admin listener; loopback unless admin_allow_remote=on.',
    parse: ipAddress,
  },
  adminPort: {
    item: 'admin_port',
    defaultText: '9080',
    engine: false,
    doc: 'Port of the admin listener (/healthz /readyz /metrics), 0 to 65535.',
    parse: integer(0, 65535),
  },
  adminAllowRemote: {
    item: 'admin_allow_remote',
    defaultText: 'off',
    engine: false,
    doc: 'on: admin_ip may be a non-loopback address (kubelet probes, a Prometheus scrape from another host); anyone reaching it reads /healthz, /readyz and /metrics, without authentication. on or off.',
    parse: (raw) => oneOf(['on', 'off'])(raw) === 'on',
  },
  logLevel: {
    item: 'log_level',
    defaultText: 'info',
    engine: false,
    doc: `${LOG_LEVELS_TEXT}.`,
    parse: oneOf(LOG_LEVELS),
  },
  accessLog: {
    item: 'access_log',
    defaultText: 'on',
    engine: false,
    doc: 'One log line per request: on or off.',
    parse: (raw) => oneOf(['on', 'off'])(raw) === 'on',
  },
  frontLogDir: {
    item: 'front_log_dir',
    defaultText: '',
    engine: false,
    doc: "Folder of the front's log files (relative to the run folder), rotated by size; empty = stdout.",
    parse: printable,
  },
  frontLogMaxMb: {
    item: 'front_log_max_mb',
    defaultText: '100',
    engine: false,
    doc: 'Size in MB at which the front log file is rotated, 1 to 10240.',
    parse: integer(1, 10240, ' MB'),
  },
  frontLogFiles: {
    item: 'front_log_files',
    defaultText: '10',
    engine: false,
    doc: 'Rotated front log files kept besides the active one, 1 to 1000.',
    parse: integer(1, 1000),
  },
  sdpAlgorithmId: {
    item: 'sdp_algorithm_id',
    defaultText: '9',
    engine: true,
    doc: 'KMC cipher for server_key_mm: 8 = AES-128-GCM, 9 = AES-256-GCM.',
    parse: (raw) => (oneOf(['8', '9'])(raw) === '8' ? 8 : 9),
  },
  shutdownGraceMs: {
    item: 'shutdown_grace_ms',
    defaultText: '10000',
    engine: false,
    doc: 'On SIGTERM/SIGINT, time given to requests in flight in ms, 0 to 600000.',
    parse: integer(0, 600000, ' ms'),
  },
  workers: {
    item: 'workers',
    defaultText: '1',
    engine: false,
    doc: `Processes serving server_port together, 1 to ${MAX_WORKERS}, or auto (one per core); read at start.`,
    parse: (raw) => parseWorkers(raw),
  },
  reloadPollMs: {
    item: 'reload_poll_ms',
    defaultText: '500',
    engine: false,
    doc: 'Stat poll of the material files in ms, 50 to 1000 (changes are live within 1 s).',
    parse: integer(50, 1000, ' ms'),
  },
  crlExpiredPolicy: {
    item: 'crl_expired_policy',
    defaultText: 'keep-enforcing',
    engine: false,
    doc: 'After the CRL nextUpdate: keep-enforcing (serve, keep the last CRL) or refuse-all.',
    parse: oneOf<CrlExpiredPolicy>(['keep-enforcing', 'refuse-all']),
  },
  caCrt: {
    item: 'ca_crt',
    defaultText: '',
    engine: true,
    doc: 'CA certificate path, relative to the run folder (written by certImport.sh).',
    parse: text,
  },
  serverCrt: {
    item: 'server_crt',
    defaultText: '',
    engine: true,
    doc: 'Server certificate path (written by certImport.sh).',
    parse: text,
  },
  serverKey: {
    item: 'server_key',
    defaultText: '',
    engine: true,
    doc: 'Encrypted server key path (written by certImport.sh).',
    parse: text,
  },
  crl: {
    item: 'crl',
    defaultText: '',
    engine: true,
    doc: 'CRL path, may stay empty (written by certImport.sh).',
    parse: text,
  },
  serverKeyMm: {
    item: 'server_key_mm',
    defaultText: '',
    engine: true,
    doc: 'KMC ciphertext of the server key password (written by certImport.sh).',
    parse: text,
  },
};

/** Items of the native StreamServer the front does not use; kept in the shipped file. */
export const ENGINE_ONLY_ITEMS: readonly { item: string; defaultText: string; doc: string }[] = [
  { item: 'infer_config_repo', defaultText: './inferConfigRepository', doc: 'Folder of inference configs.' },
  { item: 'request_cache_size', defaultText: '120', doc: 'Queued requests, 1 to 1000.' },
  { item: 'max_request_rate', defaultText: '20', doc: 'Requests per second, 1 to 30.' },
  { item: 'log_dir', defaultText: 'logs', doc: 'Engine log folder.' },
  { item: 'max_log_size', defaultText: '10', doc: 'Engine log size in MB.' },
  { item: 'rotate_file_number', defaultText: '50', doc: 'Engine log files kept.' },
];
