// run.sh: the front as a process. Optionally runs the import stage, then loads the material
// through the one loader, serves TLS and the admin listener, and drains on SIGTERM/SIGINT.
import { revokedCountOf } from '../pki/index.js';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pino, { type DestinationStream, type Logger } from 'pino';
import {
  LOG_LEVELS,
  LOG_LEVELS_TEXT,
  isLogLevel,
  listConfigWarnings,
  loadConfigFile,
  readFrontConfig,
  resolveConfigPath,
  runFolderOf,
  type FrontConfig,
  type ParsedConfig,
} from '../config/index.js';
import { prepareDemo, type PreparedDemo } from '../demo/prepare-demo.js';
import { StreamfrontError, errorLogFields, isStreamfrontError } from '../errors/error.js';
import { recoverInterruptedImport, inspectInterruptedImport, interruptedImportError } from '../import/recover.js';
import { KEYS_DIR_NAME, loadMaterial, type TlsMaterial } from '../material/load.js';
import { startLiveReload, type LiveReload } from '../reload/live-reload.js';
import { buildAdminServer } from '../server/admin.js';
import { buildLogDestination } from '../server/log-destination.js';
import { startFront } from '../server/front.js';
import { buildEngineProbe, buildReadinessCheck } from '../server/readiness.js';
import { startExpiryWatch } from '../server/expiry-watch.js';
import { FrontMetrics } from '../server/metrics.js';
import { startWorkerGroup, type WorkerGroup } from '../server/worker-group.js';
import { IMPORT_OPTIONS, importArgsFromValues } from './cert-import-args.js';
import { runImportStage } from './import-command.js';
import { parseArgsError, reportFatal } from './report.js';
import { buildCheckReport, formatCheckReport, type CheckReportOptions } from './check-report.js';

const USAGE = `Usage: ./run.sh [--config F] [--log-level L] [-c ca.crt -s server.crt -k server.key [-r ca.crl] [password options]]

Starts the mutual-TLS front from streamserver.conf. With -c/-s/-k it first runs the import
stage (the same checks and prompt as certImport.sh).

Options:
      --config F        config file (default: $MX_SDK_HOME/config/streamserver.conf, else config/streamserver.conf)
      --log-level L     ${LOG_LEVELS_TEXT} (overrides log_level)
      --demo            make a throw-away PKI in ./demo, import it, start the engine simulator
                        and the front, and print a curl command to try it
      --check           load and check everything, then exit 0 without serving; writes nothing
                        (a keystore copy that needs repair is reported, not rewritten)
      --json            with --check: one JSON object on stdout, every material (subject, issuer,
                        key bits, signature, serial, notAfter, days left; CRL entries and
                        nextUpdate; keystore state, master key age) and every problem with code and fix
      --candidate DIR   with --check: check DIR's ca.crt, server.crt, server.key and ca.crl (if
                        any) instead of the files the config names, before copying them into keys/
  -c, -s, -k, -r, --password-stdin, --password-file   as in certImport.sh --help
  -h, --help            show this help

While serving, replaced certificates, key, CRL or server_key_mm are checked and go live
without a restart (the last good set keeps serving when they are refused); kill -HUP <pid>
loads them at once. SIGTERM or SIGINT drain requests in flight, then exit.

Exit codes: 0 stopped cleanly (or --check passed), 1 refused to start, 2 usage error.
`;
const HINT = './run.sh --help';
/** dist/src/cli/front.js -> the project root, where the shipped config lives. */
const PROJECT_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** --check --json / --candidate: the full report, and exit 1 when it holds an error. */
async function runCheckReport(options: CheckReportOptions, isJson: boolean): Promise<number> {
  const report = await buildCheckReport(options);
  process.stdout.write(isJson ? `${JSON.stringify(report, null, 2)}\n` : formatCheckReport(report));
  return report.ok ? 0 : 1;
}

const RUN_OPTIONS = {
  ...IMPORT_OPTIONS,
  help: { type: 'boolean', short: 'h' },
  'log-level': { type: 'string' },
  check: { type: 'boolean' },
  json: { type: 'boolean' },
  candidate: { type: 'string' },
  demo: { type: 'boolean' },
} as const;

type RunValues = ReturnType<
  typeof parseArgs<{ options: typeof RUN_OPTIONS; strict: true; allowPositionals: false }>
>['values'];

/** Every flag checked before anything is read or written; node:util's wording becomes CLI_USAGE. */
function parseRunArgs(argv: readonly string[]): RunValues {
  try {
    return parseArgs({ args: [...argv], options: RUN_OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw parseArgsError(err, HINT);
  }
}

/** Which config this run uses, and the folder its relative paths and keys/ belong to. */
interface RunSite {
  readonly runDir: string;
  readonly configPath: string;
  readonly demo: PreparedDemo | undefined;
}

/** --demo builds a throw-away site; otherwise -c/-s/-k import first, then the config is found. */
async function prepareRunSite(values: RunValues): Promise<RunSite> {
  const cwd = process.cwd();
  if (values.demo === true) {
    // The shipped config is the demo's starting point; everything else happens under demo/.
    const shipped = join(PROJECT_ROOT, 'config', 'streamserver.conf');
    const demo = await prepareDemo(cwd, shipped, (line) => process.stderr.write(`${line}\n`));
    return { runDir: demo.runDir, configPath: demo.configPath, demo };
  }
  const importArgs = importArgsFromValues(values, HINT);
  if (importArgs !== undefined) await runImportStage(importArgs, cwd);
  const configPath = resolveConfigPath({ explicit: values.config, env: process.env, runDir: cwd });
  return { runDir: runFolderOf(configPath), configPath, demo: undefined };
}

/** The process logger at --log-level (else log_level); the config's warnings are its first lines. */
function buildRunLogger(values: RunValues, config: FrontConfig, parsedConfig: ParsedConfig, runDir: string): Logger {
  const level = values['log-level'] ?? config.logLevel;
  if (!isLogLevel(level)) {
    throw new StreamfrontError(
      'CLI_USAGE',
      `invalid value '${level}' for flag '--log-level'; options are ${LOG_LEVELS.join(', ')}`,
      { hint: HINT },
    );
  }
  // --check writes nothing, log files included: its lines go to stdout.
  const logFiles =
    values.check === true
      ? undefined
      : { dir: config.frontLogDir, maxMb: config.frontLogMaxMb, files: config.frontLogFiles };
  const logger = pino(
    { level, base: { server: config.serverName }, timestamp: pino.stdTimeFunctions.isoTime },
    buildLogDestination(logFiles, runDir),
  );
  for (const w of listConfigWarnings(parsedConfig))
    logger.warn({ event: 'config_warning', line: w.line, item: w.item, suggestion: w.suggestion }, w.message);
  return logger;
}

/**
 * The material through the one loader, after keys/ is brought to a known state: a start
 * finishes an interrupted import; --check only looks, and writes nothing (keystore included).
 */
async function loadRunMaterial(
  config: FrontConfig,
  runDir: string,
  logger: Logger,
  isCheck: boolean,
): Promise<TlsMaterial> {
  const keysDir = join(runDir, KEYS_DIR_NAME);
  if (isCheck) {
    // A half-done import would otherwise show as a misleading key or password error.
    const found = await inspectInterruptedImport(keysDir);
    if (found.state !== 'none') throw interruptedImportError(keysDir, found);
  } else {
    const recovered = await recoverInterruptedImport(keysDir);
    if (recovered.action === 'busy')
      logger.warn(
        { event: 'import_running' },
        'an import is running in keys/; starting with what the config names now',
      );
    else if (recovered.action !== 'none')
      logger.warn(
        { event: 'import_recovered', action: recovered.action, removed: recovered.removed },
        'finished an interrupted import before starting',
      );
  }
  const material = await loadMaterial({
    config,
    runDir,
    env: process.env,
    now: new Date(),
    log: (lvl, msg, fields) => logger[lvl]({ ...fields }, msg),
    isKeystoreRepairAllowed: !isCheck,
  });
  for (const warning of material.warnings)
    logger.warn({ code: warning.code, role: warning.role, hint: warning.hint }, warning.message);
  return material;
}

/** Everything that serves, and what a stop must close. */
interface Serving {
  readonly live: LiveReload;
  readonly metrics: FrontMetrics;
  close(graceMs: number): Promise<void>;
}

/** The serving workers, whose log lines go where this process's own go (one writer). */
function startGroup(
  config: FrontConfig,
  material: TlsMaterial,
  logger: Logger,
  metrics: FrontMetrics,
): Promise<WorkerGroup> {
  const destination = (logger as unknown as Record<symbol, DestinationStream>)[pino.symbols.streamSym];
  return startWorkerGroup({
    config,
    material,
    logger,
    logLevel: logger.level,
    metrics,
    writeLog: (text) => destination?.write(text),
  });
}

/** The TLS front, live reload, the expiry watch and the admin listener, all up or none. */
async function startServing(
  site: RunSite,
  config: FrontConfig,
  material: TlsMaterial,
  logger: Logger,
): Promise<Serving> {
  const { runDir, configPath, demo } = site;
  const metrics = new FrontMetrics({ serverName: config.serverName, withProcess: true });
  metrics.setMaterialExpiry('server_cert', material.serverCert.notAfter);
  metrics.setMaterialExpiry('ca', material.ca.notAfter);
  metrics.setMaterialExpiry('crl_next_update', material.crl?.nextUpdate);
  metrics.setLastGoodLoad(Math.floor(Date.now() / 1000));
  // workers > 1: this process keeps reload, admin and ticket keys; workers serve the TLS port.
  const group = config.workers > 1 ? await startGroup(config, material, logger, metrics) : undefined;
  const front = group ?? (await startFront({ config, material, logger, metrics }));
  const live = startLiveReload({ config, configPath, runDir, env: process.env, front, metrics, logger });
  const expiryWatch = startExpiryWatch({ material: () => front.material, metrics, logger });
  const engineProbe = buildEngineProbe(config.engineUrl);
  const admin = buildAdminServer({
    metrics: group === undefined ? metrics : { render: () => group.renderMetrics() },
    serverName: config.serverName,
    logger,
    allowRemote: config.adminAllowRemote,
    readiness: buildReadinessCheck({
      reload: () => live.status(),
      front,
      engine: engineProbe,
      ...(group === undefined
        ? {}
        : { workers: () => ({ serving: group.servingWorkers, configured: config.workers }) }),
      onProbe: (r) => metrics.setEngineProbe(r),
    }),
  });
  let adminPort: number;
  try {
    adminPort = await admin.listen(config.adminIp, config.adminPort);
  } catch (err) {
    // The TLS listener is already up: close it, or the process would serve without its admin side.
    await Promise.allSettled([live.close(), front.shutdown(0), engineProbe.close(), demo?.engine.close()]);
    throw err;
  }
  // Written at every log_level: the README sends operators here for the pid of kill -HUP.
  logger.child({}, { level: 'info' }).info(
    {
      event: 'started',
      pid: process.pid,
      tls: `${config.serverIp}:${front.port}`,
      admin: `${config.adminIp}:${adminPort}`,
      engine: config.engineUrl,
      serverCertSerial: material.serverCert.serial,
      crlEntries: material.crl === undefined ? 0 : revokedCountOf(material.crl),
      ...(group === undefined ? {} : { workers: config.workers }),
    },
    'streamfront serving',
  );
  if (demo !== undefined) {
    process.stderr.write(
      `\nstreamfront demo is serving on https://127.0.0.1:${front.port} (Ctrl-C stops it). Try:\n\n  ${demo.curl}\n\n`,
    );
  }
  return {
    live,
    metrics,
    async close(graceMs: number): Promise<void> {
      expiryWatch.stop();
      metrics.stop();
      await Promise.allSettled([
        live.close(),
        front.shutdown(graceMs),
        admin.close(),
        engineProbe.close(),
        demo?.engine.close(),
      ]);
    },
  };
}

/** SIGHUP reloads now; SIGTERM or SIGINT drain within the grace time. Resolves once stopped. */
function serveUntilSignalled(serving: Serving, graceMs: number, logger: Logger): Promise<void> {
  const onHangup = (): void => {
    logger.info({ event: 'sighup' }, 'SIGHUP: loading the material now');
    serving.live.reloadNow();
  };
  process.on('SIGHUP', onHangup);
  return new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      logger.info({ event: 'stopping', signal, graceMs }, 'draining');
      // Without a listener, SIGHUP's default action ends the process at once and cuts every
      // request still draining; a reload makes no sense now, so it is ignored (said once).
      process.off('SIGHUP', onHangup);
      let isHangupReported = false;
      process.on('SIGHUP', () => {
        if (isHangupReported) return;
        isHangupReported = true;
        logger.info({ event: 'sighup_ignored' }, 'SIGHUP while draining: ignored, the drain goes on');
      });
      void serving.close(graceMs).then(() => {
        logger.info({ event: 'stopped' }, 'streamfront stopped');
        resolve();
      });
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}

async function main(argv: readonly string[]): Promise<number> {
  const values = parseRunArgs(argv);
  if (values.help === true) {
    process.stdout.write(USAGE);
    return 0;
  }
  const site = await prepareRunSite(values);
  const { parsed: parsedConfig } = await loadConfigFile(site.configPath);
  const config = readFrontConfig(parsedConfig);
  const isCheck = values.check === true;
  if (values.json === true || values.candidate !== undefined) {
    if (!isCheck) throw new StreamfrontError('CLI_USAGE', '--json and --candidate go with --check', { hint: HINT });
    const candidateDir = values.candidate === undefined ? undefined : resolve(values.candidate);
    return runCheckReport(
      {
        config,
        parsed: parsedConfig,
        configPath: site.configPath,
        runDir: site.runDir,
        candidateDir,
        env: process.env,
        now: new Date(),
      },
      values.json === true,
    );
  }
  const logger = buildRunLogger(values, config, parsedConfig, site.runDir);
  const material = await loadRunMaterial(config, site.runDir, logger, isCheck);
  if (isCheck) {
    process.stdout.write(`check passed: ${site.configPath}\n`);
    return 0;
  }
  const serving = await startServing(site, config, material, logger);
  await serveUntilSignalled(serving, config.shutdownGraceMs, logger);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (isStreamfrontError(err))
      pino({ base: { component: 'run' } }, pino.destination(2)).error(errorLogFields(err), 'refused to start');
    process.exitCode = reportFatal('run', err);
  },
);
