// ./run.sh --check --json (and --candidate DIR): the whole check as one JSON object for
// machines. Every material with what an operator looks up (subject, issuer, key, signature,
// serial, expiry), the CRL, the keystore, and every problem with its code and fix, not only
// the first. Reads only: nothing is repaired or written.
import { access } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { listConfigWarnings, type FrontConfig, type ParsedConfig } from '../config/index.js';
import { isStreamfrontError, type StreamfrontError } from '../errors/error.js';
import { inspectInterruptedImport, interruptedImportError } from '../import/recover.js';
import { Keystore, keystorePathsIn, loadOperatorSecret } from '../kmc/index.js';
import {
  KEYS_DIR_NAME,
  materialPathsFromConfig,
  readMaterialFiles,
  recoverKeyPassword,
  type MaterialPaths,
} from '../material/load.js';
import {
  inspectServerKey,
  revokedCountOf,
  validateCertificates,
  validateServerKey,
  type CertSummary,
  type Finding,
} from '../pki/index.js';

const DAY_MS = 86_400_000;

export interface CheckProblem {
  readonly severity: 'error' | 'warning';
  readonly code: string;
  readonly message: string;
  readonly file?: string | undefined;
  readonly fix?: string | undefined;
}

export interface CheckReport {
  readonly ok: boolean;
  readonly config: string;
  readonly runFolder: string;
  /** The folder checked instead of the files the config names. */
  readonly candidate?: string;
  readonly materials: Record<string, unknown>[];
  readonly keystore?: Record<string, unknown>;
  readonly problems: CheckProblem[];
}

export interface CheckReportOptions {
  readonly config: FrontConfig;
  readonly parsed: ParsedConfig;
  readonly configPath: string;
  readonly runDir: string;
  readonly candidateDir?: string | undefined;
  readonly env: NodeJS.ProcessEnv;
  readonly now: Date;
}

const daysLeft = (at: Date, now: Date): number => Math.floor((at.getTime() - now.getTime()) / DAY_MS);

function fromError(err: StreamfrontError): CheckProblem {
  return { severity: 'error', code: err.code, message: err.message, file: err.file, fix: err.hint };
}

function certEntry(kind: string, file: string, s: CertSummary, now: Date): Record<string, unknown> {
  return {
    kind,
    file,
    subject: s.subject,
    issuer: s.issuer,
    keyBits: s.keyBits,
    signatureAlgorithm: s.signatureAlgorithm,
    serial: s.serial,
    notBefore: s.notBefore.toISOString(),
    notAfter: s.notAfter.toISOString(),
    daysLeft: daysLeft(s.notAfter, now),
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** The candidate folder as the import would take it: ca.crt, server.crt, server.key, ca.crl if present. */
async function candidatePaths(dir: string): Promise<{ paths: MaterialPaths; labels: MaterialPaths }> {
  const crl = join(dir, 'ca.crl');
  const paths: MaterialPaths = {
    ca: join(dir, 'ca.crt'),
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
    crl: (await exists(crl)) ? crl : undefined,
  };
  return { paths, labels: paths };
}

async function keystoreEntry(
  runDir: string,
  env: NodeJS.ProcessEnv,
  serverKeyMm: string,
  now: Date,
): Promise<Record<string, unknown>> {
  const ks = await Keystore.open(keystorePathsIn(join(runDir, KEYS_DIR_NAME)), {
    operatorSecret: await loadOperatorSecret(env),
    anchor: serverKeyMm === '' ? undefined : { ciphertext: serverKeyMm, item: 'server_key_mm' },
    isRepairAllowed: false,
  });
  const status = ks.status();
  const active = status.masterKeys.find((k) => k.state === 'active');
  return {
    copies: ks.copies.map((c) => ({ file: c.file, state: c.state, generation: c.generation, reason: c.reason })),
    state: ks.copies.every((c) => c.state === 'good') ? 'good' : 'needs repair',
    generation: status.generation,
    operatorSecret: status.hasOperatorSecret,
    activeMasterKey:
      active === undefined
        ? undefined
        : {
            id: active.id,
            created: active.created,
            expires: active.expires,
            ageDays: Math.floor((now.getTime() - Date.parse(active.created)) / DAY_MS),
          },
    masterKeys: status.masterKeys,
  };
}

export async function buildCheckReport(opts: CheckReportOptions): Promise<CheckReport> {
  const { now } = opts;
  const problems: CheckProblem[] = listConfigWarnings(opts.parsed).map((w) => ({
    severity: 'warning',
    code: w.item === undefined ? 'CONFIG_TOO_LARGE' : 'CONFIG_UNKNOWN_ITEM',
    message: w.message,
    file: opts.configPath,
    fix: w.suggestion === undefined ? undefined : `rename it to ${w.suggestion}`,
  }));
  const materials: Record<string, unknown>[] = [];
  const finding = (f: Finding, file: string | undefined): CheckProblem => ({
    severity: f.severity,
    code: f.code,
    message: f.message,
    file,
    fix: f.hint,
  });
  const keysDir = join(opts.runDir, KEYS_DIR_NAME);
  const interrupted = await inspectInterruptedImport(keysDir);
  if (interrupted.state !== 'none') problems.push(fromError(interruptedImportError(keysDir, interrupted)));

  let keystore: Record<string, unknown> | undefined;
  try {
    keystore = await keystoreEntry(opts.runDir, opts.env, opts.config.serverKeyMm, now);
  } catch (err) {
    if (!isStreamfrontError(err)) throw err;
    problems.push(fromError(err));
  }

  try {
    const { paths, labels } =
      opts.candidateDir === undefined
        ? materialPathsFromConfig(opts.config, opts.runDir)
        : await candidatePaths(opts.candidateDir);
    const files = await readMaterialFiles(paths, labels);
    const label = {
      ca: files.ca.label,
      'server-cert': files.serverCert.label,
      'server-key': files.serverKey.label,
      crl: files.crl?.label,
    } as const;
    const verdict = validateCertificates({
      ca: files.ca.bytes,
      serverCert: files.serverCert.bytes,
      crl: files.crl?.bytes,
      now,
    });
    const keyFindings = inspectServerKey(files.serverKey.bytes);
    for (const f of [...verdict.findings, ...keyFindings]) problems.push(finding(f, label[f.role]));
    // A CA bundle lists each of its certificates, in file order (one entry for a single CA, as before).
    for (const ca of verdict.caBundle ?? []) materials.push(certEntry('ca', files.ca.label, ca, now));
    if (verdict.serverCert !== undefined)
      materials.push(certEntry('server_cert', files.serverCert.label, verdict.serverCert, now));
    const key: Record<string, unknown> = {
      kind: 'server_key',
      file: files.serverKey.label,
      encrypted: keyFindings.length === 0,
    };
    if (keyFindings.length === 0 && verdict.serverCert !== undefined && opts.config.serverKeyMm !== '') {
      try {
        const password = await recoverKeyPassword({
          config: opts.config,
          runDir: opts.runDir,
          env: opts.env,
          now,
          isKeystoreRepairAllowed: false,
        });
        const keyVerdict = validateServerKey(files.serverKey.bytes, password, verdict.serverCert);
        key.opensWithServerKeyMm = keyVerdict.keyPem !== undefined;
        key.matchesCertificate =
          keyVerdict.keyPem !== undefined && !keyVerdict.findings.some((f) => f.severity === 'error');
        for (const f of keyVerdict.findings) {
          // A candidate key with its own new password is normal: the import asks for it.
          const isNewPassword = opts.candidateDir !== undefined && f.code === 'PKI_KEY_BAD_PASSWORD';
          problems.push(
            isNewPassword
              ? {
                  ...finding(f, label['server-key']),
                  severity: 'warning',
                  fix: 'import it with its password: bash ./certImport.sh -c ... -s ... -k ...',
                }
              : finding(f, label['server-key']),
          );
        }
      } catch (err) {
        if (!isStreamfrontError(err)) throw err;
        if (!problems.some((p) => p.code === err.code)) problems.push(fromError(err));
      }
    }
    materials.push(key);
    const crl = verdict.crl;
    if (crl !== undefined) {
      materials.push({
        kind: 'crl',
        file: label.crl,
        issuer: crl.issuer,
        signatureAlgorithm: crl.signatureAlgorithm,
        entries: revokedCountOf(crl),
        thisUpdate: crl.thisUpdate.toISOString(),
        nextUpdate: crl.nextUpdate?.toISOString(),
        daysLeft: crl.nextUpdate === undefined ? undefined : daysLeft(crl.nextUpdate, now),
      });
    }
  } catch (err) {
    if (!isStreamfrontError(err)) throw err;
    problems.push(fromError(err));
  }
  return {
    ok: !problems.some((p) => p.severity === 'error'),
    config: opts.configPath,
    runFolder: opts.runDir,
    ...(opts.candidateDir === undefined ? {} : { candidate: resolve(opts.candidateDir) }),
    materials,
    ...(keystore === undefined ? {} : { keystore }),
    problems,
  };
}

/** The same report for a terminal: a line per material, a line per problem. */
export function formatCheckReport(report: CheckReport): string {
  const lines: string[] = [];
  for (const m of report.materials) {
    const facts = Object.entries(m)
      .filter(([k]) => k !== 'kind' && k !== 'file')
      .map(([k, v]) => `${k}=${String(v)}`);
    lines.push(`${String(m.kind)} ${String(m.file)}: ${facts.join(' ')}`);
  }
  for (const p of report.problems)
    lines.push(
      `${p.severity}: ${p.file === undefined ? '' : `${p.file}: `}${p.message}${p.fix === undefined ? '' : `; fix: ${p.fix}`} [${p.code}]`,
    );
  lines.push(
    report.ok
      ? `check passed: ${report.candidate ?? report.config}`
      : `check failed: ${report.problems.filter((p) => p.severity === 'error').length} error(s)`,
  );
  return `${lines.join('\n')}\n`;
}
