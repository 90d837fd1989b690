// The TLS policy of the real front (run.sh, fixture PKI imported by certImport.sh) as clients
// and testssl.sh see it: versions, suites per version from cipher_list, renegotiation, the
// chain sent, and nothing testssl.sh flags as weak or vulnerable.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { clientOptions, startFrontProcess, type FrontProcess } from '../../fixtures/front-process.js';
import {
  acceptedTls13Suites,
  showServerCertificates,
  tryTls13Suite,
  type ClientCredentials,
} from '../../fixtures/tls-probe.js';
import { isSelfSigned } from '../../../src/tls/served-chain.js';
import { call } from '../front/client.js';
import {
  ACCEPTED_FINDINGS,
  judgeTestsslFindings,
  runTestssl,
  type TestsslFinding,
  type TestsslRun,
} from './testssl.js';

const TESTSSL_TIMEOUT_MS = 150_000;

function credentials(front: FrontProcess): ClientCredentials {
  const { ca, cert, key } = clientOptions(front.pki, 'good');
  return { ca, cert: cert as Buffer, key: key as Buffer };
}

const offered = (run: TestsslRun, prefix: string): string[] =>
  run.findings
    .filter((f) => f.id.startsWith(prefix))
    .map((f) => f.finding.split(/\s+/)[3] ?? '')
    .sort();

describe('testssl.sh findings: the judge', () => {
  const clean: TestsslFinding[] = [
    'SSLv2',
    'SSLv3',
    'TLS1',
    'TLS1_1',
    'TLS1_2',
    'TLS1_3',
    'cert_chain_of_trust',
    'certs_countServer',
    'cipher_order',
    'scanTime',
    'heartbleed',
    'CCS',
    'ticketbleed',
    'ROBOT',
    'secure_renego',
    'secure_client_renego',
    'CRIME_TLS',
    'BREACH',
    'POODLE_SSL',
    'fallback_SCSV',
    'SWEET32',
    'FREAK',
    'DROWN',
    'LOGJAM',
    'BEAST',
    'LUCKY13',
    'RC4',
  ].map((id) => ({ id, severity: 'OK', finding: 'not vulnerable' }));
  const service = (finding: string): TestsslFinding => ({ id: 'service', severity: 'INFO', finding });

  it('passes a clean report and the accepted findings, and flags weak, vulnerable, untested and missing checks', () => {
    assert.deepEqual(judgeTestsslFindings([...clean, ...ACCEPTED_FINDINGS]), []);
    const replace = (id: string, severity: string, finding: string): TestsslFinding[] =>
      clean.map((f) => (f.id === id ? { id, severity, finding } : f));
    assert.deepEqual(judgeTestsslFindings(replace('TLS1', 'MEDIUM', 'offered (deprecated)')), [
      'TLS1 MEDIUM: offered (deprecated)',
    ]);
    assert.deepEqual(judgeTestsslFindings(replace('SWEET32', 'LOW', 'VULNERABLE, uses 64 bit block ciphers')), [
      'SWEET32 LOW: VULNERABLE, uses 64 bit block ciphers',
    ]);
    assert.deepEqual(judgeTestsslFindings(replace('ROBOT', 'WARN', 'check failed')), ['ROBOT WARN: check failed']);
    assert.deepEqual(judgeTestsslFindings(clean.filter((f) => f.id !== 'heartbleed')), [
      'heartbleed: missing from the report (the check did not run)',
    ]);
    const withoutBreach = clean.filter((f) => f.id !== 'BREACH');
    assert.deepEqual(
      judgeTestsslFindings([...withoutBreach, service('certificate-based authentication => skipping all HTTP checks')]),
      [],
    );
    assert.deepEqual(judgeTestsslFindings([...withoutBreach, service('HTTP')]), [
      'BREACH: missing from the report, and the service finding does not say HTTP checks were skipped',
    ]);
    assert.deepEqual(
      judgeTestsslFindings(replace('BREACH', 'HIGH', 'potentially VULNERABLE, gzip HTTP compression detected.')),
      ['BREACH HIGH: potentially VULNERABLE, gzip HTTP compression detected.'],
    );
    assert.deepEqual(
      judgeTestsslFindings([...clean, { id: 'cert_revocation', severity: 'HIGH', finding: 'other wording' }]),
      ['cert_revocation HIGH: other wording'],
    );
    assert.deepEqual(
      judgeTestsslFindings([
        ...clean,
        { id: 'cert_revocation', severity: 'CRITICAL', finding: 'Neither CRL nor OCSP URI provided' },
      ]),
      ['cert_revocation CRITICAL: Neither CRL nor OCSP URI provided'],
    );
  });
});

describe('e2e TLS policy: the default cipher_list', () => {
  let front: FrontProcess;
  before(async () => {
    front = await startFrontProcess();
  });
  after(async () => {
    await front?.stop();
  });

  it('TLS 1.3 accepts the AES-GCM suites only: a client offering only ChaCha20 is refused, AES-128-GCM works', async () => {
    const chacha = await tryTls13Suite(front.port, 'TLS_CHACHA20_POLY1305_SHA256', credentials(front));
    assert.equal(chacha.suite, undefined, 'ChaCha20 negotiated');
    assert.deepEqual(await tryTls13Suite(front.port, 'TLS_AES_128_GCM_SHA256', credentials(front)), {
      suite: 'TLS_AES_128_GCM_SHA256',
    });
    assert.deepEqual(await acceptedTls13Suites(front.port, credentials(front)), [
      'TLS_AES_256_GCM_SHA384',
      'TLS_AES_128_GCM_SHA256',
    ]);
  });

  it('a TLS 1.2 client with a certificate that tries to renegotiate is refused', async () => {
    const socket = tlsConnect({ host: '127.0.0.1', port: front.port, maxVersion: 'TLSv1.2', ...credentials(front) });
    await new Promise((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    assert.equal(socket.getProtocol(), 'TLSv1.2');
    const outcome = await new Promise<string>((resolve) => {
      socket.once('error', (err: NodeJS.ErrnoException) => resolve(`error ${err.code ?? err.message}`));
      socket.once('close', () => resolve('closed'));
      if (!socket.renegotiate({}, (err) => resolve(err ? `error ${err.message}` : 'renegotiated')))
        resolve('not started');
      socket.write('GET /v2/live HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
    });
    socket.destroy();
    assert.match(outcome, /^(error|closed)/);
  });

  it('answers without Content-Encoding when a client asks for gzip (nothing for BREACH to work on)', async () => {
    const res = await call(front.port, {
      tls: clientOptions(front.pki, 'good'),
      path: '/v2/live',
      headers: { 'accept-encoding': 'gzip, deflate, br' },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-encoding'], undefined);
  });

  it('sends the server certificate first, for TLS 1.2 and 1.3', async () => {
    const serverDer = new X509Certificate(readFileSync(front.pki.server.cert)).raw;
    for (const version of ['-tls1_2', '-tls1_3']) {
      const sent = await showServerCertificates(front.port, [version]);
      assert.ok(sent[0]?.raw.equals(serverDer), `${version}: the first certificate is the server certificate`);
    }
  });

  // Node 20 cannot do this for a server certificate issued directly by the root, as the fixture's
  // is: OpenSSL builds the chain from `ca` (which must hold the root to verify clients) and Node
  // clears SSL_MODE_NO_AUTO_CHAIN and offers no separate chain store. See docs/config.md.
  // test/unit/tls/served-chain.test.ts checks that a PKI with an intermediate sends no root.
  it('sends no self-signed certificate', {
    todo: 'Node (20 and 24 alike) auto-chains the root for a leaf issued directly by it',
  }, async () => {
    for (const version of ['-tls1_2', '-tls1_3']) {
      const sent = await showServerCertificates(front.port, [version]);
      assert.deepEqual(
        sent.filter(isSelfSigned).map((c) => c.subject),
        [],
        version,
      );
    }
  });

  it('testssl.sh flags nothing weak or vulnerable, and sees the policy: TLS 1.2 and 1.3 only, the cipher_list suites', {
    timeout: 2 * TESTSSL_TIMEOUT_MS + 10_000,
  }, async () => {
    let run = await runTestssl(front.port, front.pki.ca.cert, TESTSSL_TIMEOUT_MS);
    // Kept in the test output: the runtime budget is part of what this test is for.
    console.log(`testssl.sh: ${run.findings.length} findings in ${run.seconds.toFixed(1)} s`);
    const problems = judgeTestsslFindings(run.findings);
    // testssl.sh's own "could not connect for this check" on a loaded machine says nothing about
    // the front: one more full scan, whose findings are judged alone. Any other finding fails now.
    if (problems.length > 0 && problems.every((p) => /check failed because of connect problem/.test(p))) {
      console.log(`testssl.sh could not run every check (${problems.join('; ')}): scanning again`);
      run = await runTestssl(front.port, front.pki.ca.cert, TESTSSL_TIMEOUT_MS);
    }
    assert.deepEqual(judgeTestsslFindings(run.findings), []);
    const finding = (id: string): string => run.findings.find((f) => f.id === id)?.finding ?? '(missing)';
    for (const id of ['SSLv2', 'SSLv3', 'TLS1', 'TLS1_1']) assert.match(finding(id), /^not offered/, id);
    assert.match(finding('TLS1_2'), /^offered/);
    assert.match(finding('TLS1_3'), /^offered/);
    assert.match(finding('CRIME_TLS'), /^not vulnerable/, 'TLS compression');
    assert.match(finding('cert_chain_of_trust'), /^passed/);
    // The server certificate is RSA, so of the default list only the ECDHE-RSA suites can be used.
    assert.deepEqual(offered(run, 'cipher-tls1_2_'), ['ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES256-GCM-SHA384']);
    assert.deepEqual(offered(run, 'cipher-tls1_3_'), ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384']);
  });
});

describe('e2e TLS policy: a cipher_list of AES-128-GCM suites only', () => {
  let front: FrontProcess;
  before(async () => {
    front = await startFrontProcess({
      config: { cipher_list: 'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256' },
    });
  });
  after(async () => {
    await front?.stop();
  });

  it('TLS 1.3 accepts TLS_AES_128_GCM_SHA256 only', async () => {
    assert.deepEqual(await acceptedTls13Suites(front.port, credentials(front)), ['TLS_AES_128_GCM_SHA256']);
  });
});
