// A tiny test PKI built with the openssl CLI in a temp folder (EC P-256 for speed): CA, server,
// good/revoked/expired clients, and a client of another CA. Nothing is committed.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Pair {
  readonly cert: string;
  readonly key: string;
}

export interface TestPki {
  readonly dir: string;
  readonly caPem: string;
  readonly server: Pair;
  /** A second server pair from the same CA (for rotation). */
  readonly server2: Pair;
  readonly good: Pair;
  readonly revoked: Pair;
  readonly expired: Pair;
  readonly otherCa: Pair;
  /** Serials as normalizeSerial writes them. */
  readonly goodSerial: string;
  readonly revokedSerial: string;
  cleanup(): void;
}

function ossl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

export function buildTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'sf-front-pki-'));
  const conf = `[ca]\ndefault_ca=d\n[d]\ndir=${dir}\ndatabase=${dir}/index.txt\nnew_certs_dir=${dir}\nserial=${dir}/serial\ndefault_md=sha256\npolicy=p\nunique_subject=no\ncopy_extensions=none\n[p]\ncommonName=supplied\norganizationName=optional\n[server]\nsubjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n[client]\nsubjectAltName=URI:spiffe://test/client\nextendedKeyUsage=clientAuth\n`;
  writeFileSync(join(dir, 'ca.conf'), conf);
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  ossl(dir, ['req', '-x509', ...EC, '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=Front Test CA', '-days', '2']);
  ossl(dir, [
    'req',
    '-x509',
    ...EC,
    '-keyout',
    'other.key',
    '-out',
    'other.crt',
    '-subj',
    '/CN=Other CA',
    '-days',
    '2',
  ]);
  const issue = (name: string, cn: string, ext: string, dates: string[] = ['-days', '2'], caName = 'ca'): Pair => {
    ossl(dir, ['req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/O=Front Test/CN=${cn}`]);
    ossl(dir, [
      'ca',
      '-batch',
      '-config',
      'ca.conf',
      '-cert',
      `${caName}.crt`,
      '-keyfile',
      `${caName}.key`,
      '-extensions',
      ext,
      '-notext',
      '-in',
      `${name}.csr`,
      '-out',
      `${name}.crt`,
      ...dates,
    ]);
    return {
      cert: readFileSync(join(dir, `${name}.crt`), 'utf8'),
      key: readFileSync(join(dir, `${name}.key`), 'utf8'),
    };
  };
  const server = issue('server', '127.0.0.1', 'server'); // serial 1000
  const server2 = issue('server2', '127.0.0.1', 'server'); // 1001
  const good = issue('good', 'good client', 'client'); // 1002
  const revoked = issue('revoked', 'revoked client', 'client'); // 1003
  const expired = issue('expired', 'expired client', 'client', [
    '-startdate',
    '20200101000000Z',
    '-enddate',
    '20200102000000Z',
  ]);
  const otherCa = issue('otherca', 'stranger', 'client', ['-days', '2'], 'other');
  return {
    dir,
    caPem: readFileSync(join(dir, 'ca.crt'), 'utf8'),
    server,
    server2,
    good,
    revoked,
    expired,
    otherCa,
    goodSerial: '1002',
    revokedSerial: '1003',
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
