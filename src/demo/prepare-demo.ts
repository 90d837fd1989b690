// ./run.sh --demo: a fresh demo/ run folder with a throw-away PKI, imported through the
// real import stage, and the engine simulator on the engine's port. Never touches keys/.
import { constants, promises as fsp } from 'node:fs';
import { join, relative } from 'node:path';
import { PassThrough } from 'node:stream';
import { parseConfigText, readFrontConfig } from '../config/index.js';
import { startEngineSimulator, type EngineSimulator } from '../engine-sim/server.js';
import { importMaterial } from '../import/import-stage.js';
import { buildDemoPki } from './demo-pki.js';

export interface PreparedDemo {
  readonly runDir: string;
  readonly configPath: string;
  readonly engine: EngineSimulator;
  /** A curl command line that sends an inference request with the demo client certificate. */
  readonly curl: string;
}

async function writeNew(path: string, data: string, mode: number): Promise<void> {
  const handle = await fsp.open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    await handle.writeFile(data);
  } finally {
    await handle.close();
  }
}

export async function prepareDemo(
  baseDir: string,
  shippedConfigPath: string,
  progress: (line: string) => void,
): Promise<PreparedDemo> {
  const runDir = join(baseDir, 'demo');
  // The demo is disposable: every run starts from nothing, so an old demo never confuses it.
  await fsp.rm(runDir, { recursive: true, force: true });
  await fsp.mkdir(join(runDir, 'pki'), { recursive: true, mode: 0o700 });
  await fsp.mkdir(join(runDir, 'config'), { mode: 0o700 });

  progress('demo: generating a throw-away PKI (CA, server, clients, CRL)...');
  const pki = buildDemoPki();
  const pkiDir = join(runDir, 'pki');
  const files: Array<[string, string, number]> = [
    ['ca.crt', pki.caCertPem, 0o644],
    ['server.crt', pki.serverCertPem, 0o644],
    ['server.key', pki.serverKeyPem, 0o600],
    ['server.key.password', `${pki.serverKeyPassword}\n`, 0o600],
    ['client.crt', pki.clientCertPem, 0o644],
    ['client.key', pki.clientKeyPem, 0o600],
    ['client-revoked.crt', pki.revokedClientCertPem, 0o644],
    ['client-revoked.key', pki.revokedClientKeyPem, 0o600],
    ['ca.crl', pki.crlPem, 0o644],
  ];
  for (const [name, data, mode] of files) await writeNew(join(pkiDir, name), data, mode);

  const configPath = join(runDir, 'config', 'streamserver.conf');
  await writeNew(configPath, await fsp.readFile(shippedConfigPath, 'utf8'), 0o600);
  const stdin = new PassThrough();
  stdin.end();
  await importMaterial({
    runDir,
    configPath,
    inputs: {
      ca: join(pkiDir, 'ca.crt'),
      serverCert: join(pkiDir, 'server.crt'),
      serverKey: join(pkiDir, 'server.key'),
      crl: join(pkiDir, 'ca.crl'),
    },
    passwordSource: { kind: 'file', path: join(pkiDir, 'server.key.password') },
    passwordIo: { stdin, prompt: new PassThrough() },
    env: process.env,
    now: new Date(),
    progress: (line) => progress(`demo: ${line}`),
    auditDestination: new PassThrough(),
  });

  const config = readFrontConfig(parseConfigText(await fsp.readFile(configPath, 'utf8'), configPath));
  const engine = await startEngineSimulator({
    host: '127.0.0.1',
    port: config.enginePort,
    serverName: config.serverName,
  });
  progress(`demo: engine simulator on ${engine.url}`);

  const rel = (name: string): string => relative(process.cwd(), join(pkiDir, name));
  const body = JSON.stringify({
    inputs: [
      {
        name: 'image',
        id: '1',
        dataType: 'BINARY',
        format: 'FORMAT_NONE',
        shape: [5],
        data: Buffer.from('hello').toString('base64'),
      },
    ],
  });
  const curl = [
    'curl',
    `--cacert ${rel('ca.crt')}`,
    `--cert ${rel('client.crt')} --key ${rel('client.key')}`,
    "-H 'content-type: application/json'",
    `-d '${body}'`,
    `https://127.0.0.1:${config.serverPort}/v2/models/m/infer`,
  ].join(' ');
  return { runDir, configPath, engine, curl };
}
