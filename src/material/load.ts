// THE loader: config items -> files -> keystore -> validated TLS material. Import (on the
// staged copies), start-up and live reload all come through here, so "passes" means the same.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { resolveItemPath, type FrontConfig } from '../config/index.js';
import { StreamfrontError } from '../errors/error.js';
import { Keystore, keystorePathsIn, loadOperatorSecret, type KeystoreOptions } from '../kmc/index.js';
import {
  hasErrors,
  inspectServerKey,
  validateCertificates,
  validateServerKey,
  type CertSummary,
  type CrlSummary,
  type Finding,
  type MaterialRole,
} from '../pki/index.js';
import { readOperatorFile, type OperatorFile } from './operator-file.js';

export interface MaterialPaths {
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly crl?: string | undefined;
}

export interface MaterialFiles {
  readonly ca: OperatorFile;
  readonly serverCert: OperatorFile;
  readonly serverKey: OperatorFile;
  readonly crl?: OperatorFile | undefined;
}

export interface CheckedCertificates {
  /** The first certificate of the CA file; caBundle holds them all (one for a single CA). */
  readonly ca: CertSummary;
  readonly caBundle: readonly CertSummary[];
  readonly serverCert: CertSummary;
  readonly crl?: CrlSummary | undefined;
  readonly warnings: readonly Finding[];
}

export interface TlsMaterial {
  /** Every certificate of the CA file, PEM: the trust store clients are verified against. */
  readonly caPem: string;
  readonly certPem: string;
  /** The decrypted key, PKCS#8 PEM. Lives in memory only. */
  readonly keyPem: string;
  readonly ca: CertSummary;
  /** Every certificate of the CA file, in file order (one for a single CA). */
  readonly caBundle: readonly CertSummary[];
  readonly serverCert: CertSummary;
  readonly crl?: CrlSummary | undefined;
  /** SHA-256 of each file's bytes by role, to tell a real change from a touch. */
  readonly fingerprints: Readonly<Partial<Record<MaterialRole, string>>>;
  readonly warnings: readonly Finding[];
}

export const KEYS_DIR_NAME = 'keys';
export const SERVER_KEY_MM_ITEM = 'server_key_mm';

/**
 * Digests by buffer: the import hashes each file for the fingerprints, the staged check and the
 * audit record, and a 47 MB CRL costs ~120 ms a pass. Material buffers are never written to
 * after they are read, so a buffer's digest does not change.
 */
const digests = new WeakMap<Uint8Array, string>();

export function sha256Hex(bytes: Uint8Array): string {
  let hex = digests.get(bytes);
  if (hex === undefined) {
    hex = createHash('sha256').update(bytes).digest('hex');
    digests.set(bytes, hex);
  }
  return hex;
}

function fileOf(files: MaterialFiles, role: MaterialRole): OperatorFile | undefined {
  switch (role) {
    case 'ca':
      return files.ca;
    case 'server-cert':
      return files.serverCert;
    case 'server-key':
      return files.serverKey;
    case 'crl':
      return files.crl;
  }
}

/** The first error finding becomes the one-line refusal, naming the file it is about. */
export function findingToError(finding: Finding, files: MaterialFiles): StreamfrontError {
  return new StreamfrontError(finding.code, finding.message, {
    file: fileOf(files, finding.role)?.label,
    hint: finding.hint,
  });
}

function throwOnErrors(findings: readonly Finding[], files: MaterialFiles): void {
  const first = findings.find((f) => f.severity === 'error');
  if (first !== undefined) throw findingToError(first, files);
}

export async function readMaterialFiles(
  paths: MaterialPaths,
  labels: Partial<MaterialPaths> = {},
): Promise<MaterialFiles> {
  const [ca, serverCert, serverKey, crl] = await Promise.all([
    readOperatorFile(paths.ca, 'ca', labels.ca ?? paths.ca),
    readOperatorFile(paths.serverCert, 'server-cert', labels.serverCert ?? paths.serverCert),
    readOperatorFile(paths.serverKey, 'server-key', labels.serverKey ?? paths.serverKey),
    paths.crl === undefined ? Promise.resolve(undefined) : readOperatorFile(paths.crl, 'crl', labels.crl ?? paths.crl),
  ]);
  return { ca, serverCert, serverKey, crl };
}

/** Everything that can be checked before the password is known: certificates, CRL, key form. */
export function checkCertificates(files: MaterialFiles, now: Date): CheckedCertificates {
  const verdict = validateCertificates({
    ca: files.ca.bytes,
    serverCert: files.serverCert.bytes,
    crl: files.crl?.bytes,
    now,
  });
  const findings = [...verdict.findings, ...inspectServerKey(files.serverKey.bytes)];
  throwOnErrors(findings, files);
  if (verdict.ca === undefined || verdict.caBundle === undefined || verdict.serverCert === undefined) {
    throw new StreamfrontError('MATERIAL_INVALID', 'the certificates could not be checked', {
      file: files.serverCert.label,
    });
  }
  return {
    ca: verdict.ca,
    caBundle: verdict.caBundle,
    serverCert: verdict.serverCert,
    crl: verdict.crl,
    warnings: findings.filter((f) => f.severity === 'warning'),
  };
}

/** Decrypts the key with the password and checks it against the server certificate. */
export function checkMaterial(files: MaterialFiles, certs: CheckedCertificates, password: string): TlsMaterial {
  const keyVerdict = validateServerKey(files.serverKey.bytes, password, certs.serverCert);
  throwOnErrors(keyVerdict.findings, files);
  if (keyVerdict.keyPem === undefined || hasErrors(keyVerdict.findings)) {
    throw new StreamfrontError('MATERIAL_INVALID', 'the server key could not be decrypted', {
      file: files.serverKey.label,
    });
  }
  const fingerprints: Partial<Record<MaterialRole, string>> = {
    ca: sha256Hex(files.ca.bytes),
    'server-cert': sha256Hex(files.serverCert.bytes),
    'server-key': sha256Hex(files.serverKey.bytes),
  };
  if (files.crl !== undefined) fingerprints.crl = sha256Hex(files.crl.bytes);
  return {
    caPem: certs.caBundle.map((c) => c.pem).join(''),
    certPem: certs.serverCert.pem,
    keyPem: keyVerdict.keyPem,
    ca: certs.ca,
    caBundle: certs.caBundle,
    serverCert: certs.serverCert,
    crl: certs.crl,
    fingerprints,
    warnings: [...certs.warnings, ...keyVerdict.findings.filter((f) => f.severity === 'warning')],
  };
}

export interface LoadMaterialOptions {
  readonly config: FrontConfig;
  /** Relative material paths in the config resolve against the run folder. */
  readonly runDir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly now: Date;
  readonly log?: KeystoreOptions['log'];
  /** false for a check that must write nothing: a keystore repair is only reported. Default true. */
  readonly isKeystoreRepairAllowed?: boolean;
}

/** The config's material items as absolute paths, labelled as the config spells them. */
export function materialPathsFromConfig(
  config: FrontConfig,
  runDir: string,
): { paths: MaterialPaths; labels: MaterialPaths } {
  const missing = (['caCrt', 'serverCrt', 'serverKey', 'serverKeyMm'] as const).filter((k) => config[k] === '');
  if (missing.length > 0) {
    throw new StreamfrontError(
      'MATERIAL_NOT_IMPORTED',
      'no certificate has been imported yet (ca_crt, server_crt, server_key or server_key_mm is empty)',
      {
        hint: 'bash ./certImport.sh -c <ca.crt> -s <server.crt> -k <server.key> [-r <ca.crl>]',
      },
    );
  }
  const labels: MaterialPaths = {
    ca: config.caCrt,
    serverCert: config.serverCrt,
    serverKey: config.serverKey,
    crl: config.crl === '' ? undefined : config.crl,
  };
  const paths: MaterialPaths = {
    ca: resolveItemPath(runDir, labels.ca),
    serverCert: resolveItemPath(runDir, labels.serverCert),
    serverKey: resolveItemPath(runDir, labels.serverKey),
    crl: labels.crl === undefined ? undefined : resolveItemPath(runDir, labels.crl),
  };
  return { paths, labels };
}

/** Recovers the key password: server_key_mm decrypted with the keystore in keys/. */
export async function recoverKeyPassword(options: LoadMaterialOptions): Promise<string> {
  const keystorePaths = keystorePathsIn(join(options.runDir, KEYS_DIR_NAME));
  const operatorSecret = await loadOperatorSecret(options.env);
  // The config's own ciphertext decides which copy belongs here: a higher generation from elsewhere does not.
  const keystore = await Keystore.open(keystorePaths, {
    operatorSecret,
    log: options.log,
    anchor: { ciphertext: options.config.serverKeyMm, item: SERVER_KEY_MM_ITEM },
    isRepairAllowed: options.isKeystoreRepairAllowed ?? true,
  });
  return keystore.decrypt(options.config.serverKeyMm, SERVER_KEY_MM_ITEM);
}

export async function loadMaterial(options: LoadMaterialOptions): Promise<TlsMaterial> {
  const { paths, labels } = materialPathsFromConfig(options.config, options.runDir);
  const files = await readMaterialFiles(paths, labels);
  const certs = checkCertificates(files, options.now);
  const password = await recoverKeyPassword(options);
  return checkMaterial(files, certs, password);
}
