// The command line of certImport.sh (also accepted by run.sh): parsed and checked completely
// before anything is read or written, as mkcert does.
import { parseArgs } from 'node:util';
import { parseArgsError, usageError } from './report.js';

export interface ImportArgs {
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly crl?: string | undefined;
  readonly passwordStdin: boolean;
  readonly passwordFile?: string | undefined;
  readonly config?: string | undefined;
}

export const IMPORT_OPTIONS = {
  'ca-cert': { type: 'string', short: 'c' },
  'server-cert': { type: 'string', short: 's' },
  'server-key': { type: 'string', short: 'k' },
  crl: { type: 'string', short: 'r' },
  'password-stdin': { type: 'boolean' },
  'password-file': { type: 'string' },
  config: { type: 'string' },
} as const;

export const IMPORT_USAGE = `Usage: bash ./certImport.sh -c <ca.crt> -s <server.crt> -k <server.key> [-r <ca.crl>] [options]

Checks a CA certificate, a server certificate, its encrypted RSA key and an optional CRL,
copies them into keys/ (mode 0400) under the current folder (the run folder), asks for the
key's password, protects it with the keystore (keys/kmc.ks, keys/StandbyKsf.ks) and records
everything in streamserver.conf. Nothing is changed unless every check passes.

Options:
  -c, --ca-cert FILE       CA certificate that signs server and client certificates (PEM or DER),
                           or a PEM bundle: the root and its intermediates, or two roots
  -s, --server-cert FILE   server certificate, signed by the CA (PEM or DER)
  -k, --server-key FILE    encrypted RSA private key of the server certificate (PEM; mode 0640 at most)
  -r, --crl FILE           certificate revocation list issued by the CA (PEM or DER; optional);
                           with a bundle, the CRLs of its CAs in one PEM file
      --password-stdin     read the key password from the first line of stdin
      --password-file F    read the key password from F (a file you own with mode 0600 or 0400)
      --config F           config file to update (default: $MX_SDK_HOME/config/streamserver.conf
                           when MX_SDK_HOME is set, else config/streamserver.conf)
  -h, --help               show this help

Without a password option the password is asked for on the terminal, with echo off.

Exit codes:
  0  imported
  1  refused: a check failed, or writing failed; keys/ and the config are unchanged
  2  usage error

Examples:
  bash ./certImport.sh -c ca.crt -s server.crt -k server.key -r ca.crl
  bash ./certImport.sh -c ca.crt -s server.crt -k server.key --password-file ~/.server-key-pass
  cat root.crt intermediate.crt > bundle.crt && cat root.crl intermediate.crl > bundle.crl
  bash ./certImport.sh -c bundle.crt -s server.crt -k server.key -r bundle.crl
`;

const HINT = 'bash ./certImport.sh --help';

export type ImportArgsResult = { readonly help: true } | { readonly help: false; readonly args: ImportArgs };

type ParsedValues = {
  [K in keyof typeof IMPORT_OPTIONS]?: (typeof IMPORT_OPTIONS)[K]['type'] extends 'boolean' ? boolean : string;
};

/** Shared with run.sh, which accepts the same import options beside its own. */
export function importArgsFromValues(values: ParsedValues, hint: string): ImportArgs | undefined {
  const given = ['ca-cert', 'server-cert', 'server-key', 'crl', 'password-stdin', 'password-file'].some(
    (k) => values[k as keyof ParsedValues] !== undefined,
  );
  if (!given) return undefined;
  const missing = (['ca-cert', 'server-cert', 'server-key'] as const)
    .filter((k) => values[k] === undefined)
    .map((k) => `--${k}`);
  if (missing.length > 0)
    throw usageError(`missing required option${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`, hint);
  for (const k of ['ca-cert', 'server-cert', 'server-key', 'crl', 'password-file', 'config'] as const) {
    if (values[k] === '') throw usageError(`empty value for option --${k}`, hint);
  }
  if (values['password-stdin'] === true && values['password-file'] !== undefined) {
    throw usageError('--password-stdin and --password-file cannot be used together', hint);
  }
  return {
    ca: values['ca-cert'] as string,
    serverCert: values['server-cert'] as string,
    serverKey: values['server-key'] as string,
    crl: values.crl,
    passwordStdin: values['password-stdin'] === true,
    passwordFile: values['password-file'],
    config: values.config,
  };
}

export function parseImportArgs(argv: readonly string[]): ImportArgsResult {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { ...IMPORT_OPTIONS, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    });
  } catch (err) {
    throw parseArgsError(err, HINT);
  }
  if (parsed.values.help === true) return { help: true };
  const args = importArgsFromValues(parsed.values, HINT);
  if (args === undefined) throw usageError('missing required options --ca-cert, --server-cert, --server-key', HINT);
  return { help: false, args };
}
