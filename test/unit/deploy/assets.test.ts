// Static checks of the deployment assets under docker/ and of every shell script: the systemd
// unit through systemd-analyze, scripts through shellcheck, the Dockerfile through the rules
// below, the Kubernetes manifests against the upstream API types (kubernetes-types, compiled
// with tsc: unknown fields and wrong value types fail), and every path, port and command the
// assets name against the repository and the config defaults. No cluster, no network.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { parseConfigText, readFrontConfig } from '../../../src/config/index.js';
import { isLoopbackAddress } from '../../../src/config/loopback.js';
import { CONFIG_ITEMS } from '../../../src/config/items.js';
import { CREDENTIAL_NAME } from '../../../src/kmc/operator-secret.js';
import { ADVISED_RSA_KEY_BITS } from '../../../src/pki/certificate.js';
import { ADMIN_PATHS, buildAdminServer } from '../../../src/server/admin.js';
import { FrontMetrics } from '../../../src/server/metrics.js';
import { missingServingFlags, SERVING_NODE_FLAGS } from '../../../src/server/node-flags.js';
import { projectRoot } from '../../fixtures/project-root.js';

const DOCKER = join(projectRoot, 'docker');
const TLS_PORT = Number(CONFIG_ITEMS.serverPort.defaultText);
const ADMIN_PORT = Number(CONFIG_ITEMS.adminPort.defaultText);
/** Where the Dockerfile puts the application and the run folder. */
const APP = '/opt/streamfront';
const RUN_FOLDER = '/srv/streamfront';

const read = (path: string): string => readFileSync(join(projectRoot, path), 'utf8');

function tool(command: string, args: string[], debianPackage: string): { status: number; out: string } {
  const r = spawnSync(command, args, { cwd: projectRoot, encoding: 'utf8', timeout: 60_000 });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT')
    assert.fail(`${command} not found: install the Debian package ${debianPackage} (bash .ci/run does)`);
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

/** YAML to JSON through Debian's python3-yaml (YAML 1.1, like the Kubernetes and compose readers: 0440 is octal). */
function yamlDocuments(path: string): Array<Record<string, unknown>> {
  const r = tool(
    '/usr/bin/python3',
    [
      '-c',
      'import json,sys,yaml; json.dump([d for d in yaml.safe_load_all(open(sys.argv[1])) if d is not None], sys.stdout)',
      join(projectRoot, path),
    ],
    'python3-yaml',
  );
  assert.equal(r.status, 0, r.out);
  return JSON.parse(r.out) as Array<Record<string, unknown>>;
}

/** The app-relative file (`dist/src/cli/front.js`) a path under /opt/streamfront stands for, as it is in the repository. */
function sourceOf(appPath: string): string {
  const rel = appPath.slice(APP.length + 1);
  return rel.startsWith('dist/') ? rel.slice('dist/'.length).replace(/\.js$/, '.ts') : rel;
}

function listShellScripts(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (['node_modules', 'dist', '.git', '.build', 'demo'].includes(name)) continue;
    const path = join(dir, name);
    const stat = statSync(path);
    if (stat.isDirectory()) listShellScripts(path, out);
    else if (stat.isFile() && stat.size < 1_000_000) {
      const head = readFileSync(path, 'utf8').slice(0, 64);
      if (name.endsWith('.sh') || /^#!.*\b(ba)?sh\b/.test(head)) out.push(relative(projectRoot, path));
    }
  }
  return out;
}

describe('shell scripts', () => {
  it('shellcheck finds nothing in any shell script of the repository', () => {
    const scripts = listShellScripts(projectRoot).sort();
    for (const expected of [
      'run.sh',
      'certImport.sh',
      'kmc.sh',
      'src/cli/ensure-built.sh',
      '.ci/run',
      'docker/entrypoint.sh',
      'docker/build-base.sh',
      'docker/test-image.sh',
    ]) {
      assert.ok(scripts.includes(expected), `${expected} is not among the scripts found: ${scripts.join(' ')}`);
    }
    const r = tool('shellcheck', ['--external-sources', '--shell=bash', ...scripts], 'shellcheck');
    assert.equal(r.status, 0, `shellcheck on ${scripts.join(' ')}:\n${r.out}`);
  });
});

describe('the serving process node flags', () => {
  it('every launcher that starts front.js passes exactly SERVING_NODE_FLAGS to node', () => {
    const launchers = ['run.sh', 'docker/entrypoint.sh', 'docker/systemd/streamfront.service'];
    let starts = 0;
    for (const file of launchers) {
      for (const line of read(file).split('\n')) {
        const m = /\bnode((?:\s+--\S+)*)\s+\S*dist\/src\/cli\/front\.js/.exec(line);
        if (m === null) continue;
        starts++;
        const flags = (m[1] as string).trim().split(/\s+/).filter(Boolean);
        assert.deepEqual(flags, [...SERVING_NODE_FLAGS], `${file}: ${line.trim()}`);
      }
      assert.ok(read(file).includes('dist/src/cli/front.js'), `${file} starts no front.js`);
    }
    assert.ok(starts >= 5, `found ${starts} lines that start front.js`);
  });

  it('a worker gets the flags the primary lacks, and none twice', () => {
    assert.deepEqual(missingServingFlags([]), [...SERVING_NODE_FLAGS]);
    assert.deepEqual(missingServingFlags([...SERVING_NODE_FLAGS]), []);
    assert.deepEqual(missingServingFlags(['--max-semi-space-size=64', '--cpu-prof']), [], 'an operator choice stays');
    assert.deepEqual(missingServingFlags(['--max-semi-space-size', '64']), []);
  });
});

describe('docker/systemd/streamfront.service', () => {
  const unitPath = 'docker/systemd/streamfront.service';
  const unit = read(unitPath);
  const directives = (key: string): string[] =>
    [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1] as string);

  it('systemd-analyze verify reports nothing', () => {
    // verify checks that ExecStart's program exists: point it at this machine's node when /usr/bin/node is not there.
    const dir = join(projectRoot, '.build', 'unit-check');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const copy = join(dir, 'streamfront.service');
    writeFileSync(copy, existsSync('/usr/bin/node') ? unit : unit.replace('/usr/bin/node', process.execPath));
    const r = tool('systemd-analyze', ['verify', copy], 'systemd');
    rmSync(dir, { recursive: true, force: true });
    assert.equal(r.status, 0, r.out);
    assert.equal(r.out.trim(), '', `systemd-analyze verify printed:\n${r.out}`);
  });

  it('is hardened: no capabilities, no new privileges, read-only system, one writable run folder', () => {
    const expected: Record<string, string> = {
      NoNewPrivileges: 'yes',
      ProtectSystem: 'strict',
      ProtectHome: 'yes',
      PrivateTmp: 'yes',
      PrivateDevices: 'yes',
      CapabilityBoundingSet: '',
      AmbientCapabilities: '',
      RestrictAddressFamilies: 'AF_INET AF_INET6 AF_UNIX',
      SystemCallFilter: '@system-service',
      RestrictNamespaces: 'yes',
      RestrictSUIDSGID: 'yes',
      LockPersonality: 'yes',
      ReadWritePaths: '/var/lib/streamfront',
      WorkingDirectory: '/var/lib/streamfront',
      ExecReload: '/bin/kill -HUP $MAINPID',
    };
    for (const [key, value] of Object.entries(expected)) assert.deepEqual(directives(key), [value], key);
    assert.notEqual(directives('User')[0] ?? 'root', 'root');
  });

  it('names the program, the credential and the run folder the code uses', () => {
    const [exec] = directives('ExecStart');
    assert.match(exec ?? '', /^\/usr\/bin\/node (--\S+ )*\/opt\/streamfront\/dist\/src\/cli\/front\.js$/);
    const program = (exec as string).split(' ').find((word) => word.endsWith('.js')) as string;
    assert.ok(existsSync(join(projectRoot, sourceOf(program))), `${program} has no source`);
    assert.deepEqual(
      directives('LoadCredentialEncrypted').map((v) => v.split(':')[0]),
      [CREDENTIAL_NAME],
    );
  });
});

describe('docker/Dockerfile', () => {
  const text = read('docker/Dockerfile').replace(/\\\n/g, ' ');
  const lines = text.split('\n').filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
  const stages = lines
    .reduce<string[][]>((acc, l) => (/^FROM\s/i.test(l) ? [...acc, [l]] : (acc.at(-1)?.push(l), acc)), [[]])
    .slice(1);
  const runtime = stages.at(-1) ?? [];
  const instr = (stage: string[], name: string): string[] =>
    stage.filter((l) => new RegExp(`^${name}\\s`, 'i').test(l)).map((l) => l.replace(/^\S+\s+/, ''));
  const dockerignore = read('.dockerignore')
    .split('\n')
    .filter((l) => l.startsWith('!'))
    .map((l) => l.slice(1));

  it('defaults to the official Node.js 20 LTS slim image, is multi-stage, and the runtime stage has no build tools', () => {
    assert.match(text, /^ARG BASE=node:20-bookworm-slim$/m);
    assert.equal(stages.length, 2);
    for (const stage of stages) assert.match(stage[0] as string, /^FROM \$\{BASE\} AS \w+$/);
    assert.ok(
      instr(runtime, 'COPY').some((c) => c.startsWith('--from=build /src/dist/src ')),
      'the runtime stage takes dist/src from the build',
    );
    assert.ok(
      !runtime.some((l) => /\bnpm (ci|install)\b|\btsc\b/.test(l)),
      'no install or compile in the runtime stage',
    );
    assert.ok(
      lines.some((l) => /npm prune --omit=dev/.test(l)),
      'production dependencies only',
    );
  });

  it('runs as a fixed non-root user, checks health on the admin port, execs through the entry point', () => {
    const [user] = instr(runtime, 'USER');
    const uid = /STREAMFRONT_UID=(\d+)/.exec(text)?.[1];
    assert.equal(user, '${STREAMFRONT_UID}:${STREAMFRONT_GID}');
    assert.ok(uid !== undefined && Number(uid) > 0);
    assert.match(
      instr(runtime, 'HEALTHCHECK')[0] ?? '',
      /CMD \["node", "\/opt\/streamfront\/docker\/healthcheck\.mjs"\]$/,
    );
    assert.deepEqual(instr(runtime, 'ENTRYPOINT'), ['["/opt/streamfront/docker/entrypoint.sh"]']);
    assert.deepEqual(instr(runtime, 'EXPOSE'), [String(TLS_PORT)]);
    assert.deepEqual(instr(runtime, 'WORKDIR'), [RUN_FOLDER]);
  });

  it('has no secret, no ADD, no latest tag, and copies only files that exist and the .dockerignore lets through', () => {
    assert.ok(!lines.some((l) => /^ADD\s/i.test(l)));
    assert.ok(!/:latest\b/.test(text));
    assert.ok(
      !lines.some((l) => /^(ENV|ARG)\s+\S*(PASS|SECRET|TOKEN|_MM)\S*=/i.test(l)),
      'a secret-looking ENV or ARG',
    );
    for (const copy of lines.filter((l) => /^COPY\s/i.test(l) && !/--from=/.test(l))) {
      const sources = copy.split(/\s+/).slice(1, -1);
      for (const source of sources) {
        assert.ok(existsSync(join(projectRoot, source)), `${source} (${copy}) does not exist`);
        assert.ok(
          dockerignore.some((allowed) => allowed === source || allowed === `${source}/**`),
          `${source} is excluded by .dockerignore`,
        );
      }
    }
    assert.match(read('.dockerignore'), /^\*\*$/m, '.dockerignore starts from excluding everything');
  });

  it('the entry point runs the commands that exist, and its helper scripts import modules that exist', () => {
    const entry = read('docker/entrypoint.sh');
    const targets = [...entry.matchAll(/"\$app\/([\w./-]+)"/g)].map((m) => `${APP}/${m[1] as string}`);
    assert.ok(targets.length >= 7, targets.join(' '));
    for (const target of targets)
      assert.ok(
        existsSync(join(projectRoot, sourceOf(target))),
        `${target}: ${sourceOf(target)} not in the repository`,
      );
    for (const helper of ['docker/demo-material.mjs', 'docker/healthcheck.mjs']) {
      for (const m of read(helper).matchAll(/from '\.\.\/dist\/(src\/[\w/-]+)\.js'/g))
        assert.ok(existsSync(join(projectRoot, `${m[1] as string}.ts`)), `${helper} imports ${m[1] as string}`);
    }
    assert.match(
      read('docker/healthcheck.mjs'),
      new RegExp(`return ${ADMIN_PORT};`),
      'the health check falls back to the default admin_port',
    );
  });
});

describe('docker/compose.yaml', () => {
  const [compose] = yamlDocuments('docker/compose.yaml') as Array<{
    services: Record<
      string,
      {
        command?: string[];
        ports?: string[];
        working_dir?: string;
        volumes?: string[];
        depends_on?: Record<string, unknown>;
      }
    >;
  }>;
  it('starts the simulator, makes the demo material once, and serves it on the default port', () => {
    const services = compose?.services ?? {};
    assert.deepEqual(Object.keys(services).sort(), ['demo-material', 'engine', 'front']);
    const verbs = [...read('docker/entrypoint.sh').matchAll(/^ {2}([\w-]+)\)/gm)].map((m) => m[1]);
    for (const [name, service] of Object.entries(services))
      assert.ok(
        verbs.includes(service.command?.[0]),
        `${name}: ${String(service.command?.[0])} is not an entry point verb`,
      );
    // Loopback only; STREAMFRONT_DEMO_PORT moves the host side (CI picks a free port).
    assert.deepEqual(services.front?.ports, [
      '127.0.0.1:${STREAMFRONT_DEMO_PORT:-' + String(TLS_PORT) + '}:' + String(TLS_PORT),
    ]);
    assert.equal(services.front?.working_dir, `${RUN_FOLDER}/demo`);
    assert.deepEqual(services['demo-material']?.volumes, [`demo:${RUN_FOLDER}`]);
    assert.deepEqual(services.front?.depends_on?.['demo-material'], { condition: 'service_completed_successfully' });
  });
});

describe('docker/k8s manifests', () => {
  const files = readdirSync(join(DOCKER, 'k8s'))
    .filter((f) => f.endsWith('.yaml'))
    .sort();
  const docs = files.flatMap((f) => yamlDocuments(`docker/k8s/${f}`).map((doc) => ({ file: f, doc })));
  const byKind = (kind: string): Record<string, any> => {
    const found = docs.filter((d) => d.doc.kind === kind);
    assert.equal(found.length, 1, `one ${kind}`);
    return found[0]?.doc as Record<string, any>;
  };

  it('each object type-checks against the Kubernetes API types (kubernetes-types) or the cert-manager v1 fields used', () => {
    const types: Record<string, [string, string]> = {
      'apps/v1 Deployment': ['Deployment', 'kubernetes-types/apps/v1'],
      'v1 Service': ['Service', 'kubernetes-types/core/v1'],
      'v1 Secret': ['Secret', 'kubernetes-types/core/v1'],
      'policy/v1 PodDisruptionBudget': ['PodDisruptionBudget', 'kubernetes-types/policy/v1'],
      'networking.k8s.io/v1 NetworkPolicy': ['NetworkPolicy', 'kubernetes-types/networking/v1'],
      'cert-manager.io/v1 Certificate': ['Certificate', './cert-manager'],
    };
    const dir = join(projectRoot, '.build', 'k8s-check');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    // The fields this repository uses of cert-manager's Certificate (cert-manager.io/v1 CRD); no npm package ships its types.
    writeFileSync(
      join(dir, 'cert-manager.ts'),
      `import type { ObjectMeta } from 'kubernetes-types/meta/v1';
export interface Certificate { apiVersion: 'cert-manager.io/v1'; kind: 'Certificate'; metadata: ObjectMeta; spec: {
  secretName: string; duration?: string; renewBefore?: string; commonName?: string; dnsNames?: string[];
  usages?: Array<'server auth' | 'client auth' | 'digital signature' | 'key encipherment'>;
  privateKey?: { algorithm?: 'RSA' | 'ECDSA' | 'Ed25519'; size?: number; encoding?: 'PKCS1' | 'PKCS8'; rotationPolicy?: 'Never' | 'Always' };
  issuerRef: { name: string; kind?: 'Issuer' | 'ClusterIssuer'; group?: string } } }
`,
    );
    const body = docs.map(({ file, doc }, i) => {
      const type = types[`${String(doc.apiVersion)} ${String(doc.kind)}`];
      assert.ok(type !== undefined, `${file}: ${String(doc.apiVersion)} ${String(doc.kind)} has no type here`);
      return `import type { ${type[0]} as T${i} } from '${type[1]}';\nexport const m${i}: T${i} & { apiVersion: string; kind: string } = ${JSON.stringify(doc, null, 1)}; // ${file}\n`;
    });
    writeFileSync(join(dir, 'manifests.ts'), body.join('\n'));
    const tsc = tool(
      process.execPath,
      [
        join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc'),
        '--noEmit',
        '--strict',
        '--module',
        'ESNext',
        '--moduleResolution',
        'Bundler',
        '--types',
        'node',
        join(dir, 'manifests.ts'),
      ],
      'typescript (npm ci)',
    );
    rmSync(dir, { recursive: true, force: true });
    assert.equal(tsc.status, 0, `the manifests do not match the API types:\n${tsc.out}`);
  });

  it('the Deployment: replicas, rolling update, probes on the admin port, limits, and the locked-down security context', () => {
    const deploy = byKind('Deployment');
    const pod = deploy.spec.template.spec;
    const [c] = pod.containers;
    assert.ok(deploy.spec.replicas >= 2);
    assert.deepEqual(deploy.spec.strategy, {
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
    });
    assert.deepEqual(c.securityContext, {
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(String(pod.securityContext.runAsUser), /STREAMFRONT_UID=(\d+)/.exec(read('docker/Dockerfile'))?.[1]);
    assert.ok(Number.isInteger(pod.securityContext.fsGroup));
    assert.deepEqual(
      Object.fromEntries(['startupProbe', 'readinessProbe', 'livenessProbe'].map((p) => [p, c[p].httpGet])),
      {
        startupProbe: { path: ADMIN_PATHS.liveness, port: 'admin' },
        readinessProbe: { path: ADMIN_PATHS.readiness, port: 'admin' },
        livenessProbe: { path: ADMIN_PATHS.liveness, port: 'admin' },
      },
    );
    assert.ok(c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory);
    assert.deepEqual(c.ports, [
      { name: 'mtls', containerPort: TLS_PORT, protocol: 'TCP' },
      { name: 'admin', containerPort: ADMIN_PORT, protocol: 'TCP' },
    ]);
    assert.ok(
      pod.terminationGracePeriodSeconds * 1000 > Number(CONFIG_ITEMS.shutdownGraceMs.defaultText) + 5_000,
      'grace covers shutdown_grace_ms and the preStop pause',
    );
  });

  it('the Secret volume: the kubelet layout the ownership rule accepts, mounted as keys/ with the config the args name', () => {
    const deploy = byKind('Deployment');
    const pod = deploy.spec.template.spec;
    const [c] = pod.containers;
    const secret = byKind('Secret');
    const [volume] = pod.volumes;
    assert.equal(volume.secret.secretName, secret.metadata.name);
    assert.equal(volume.secret.defaultMode, 0o440);
    assert.deepEqual(c.volumeMounts, [{ name: volume.name, mountPath: `${RUN_FOLDER}/keys`, readOnly: true }]);
    assert.deepEqual(c.args, ['serve', '--config', 'keys/streamserver.conf']);
    assert.deepEqual(Object.keys(secret.data).sort(), [
      'StandbyKsf.ks',
      'ca.crl',
      'ca.crt',
      'kmc.ks',
      'server.crt',
      'server.key',
      'streamserver.conf',
    ]);
  });

  it('the probes reach the admin listener: the config the Secret carries binds it to the pod address, on the probed port', async () => {
    // The README's sed, run as written on a copy of the shipped config, read by the front's own
    // config reader: a non-loopback admin_ip without admin_allow_remote=on would stop the front
    // at start, and a probe on another port would never be answered.
    const readme = read('README.md');
    const sed = /^sed -i (?:.*\\\n)*.*run\/config\/streamserver\.conf$/m.exec(readme)?.[0];
    assert.ok(sed !== undefined, 'README, Kubernetes: the sed that sets the listeners');
    const dir = mkdtempSync(join(tmpdir(), 'sf-k8s-conf-'));
    let text: string;
    try {
      const file = join(dir, 'streamserver.conf');
      writeFileSync(file, read('config/streamserver.conf'));
      const r = tool('bash', ['-c', sed.replace('run/config/streamserver.conf', file)], 'bash');
      assert.equal(r.status, 0, r.out);
      text = readFileSync(file, 'utf8');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const config = readFrontConfig(parseConfigText(text, 'keys/streamserver.conf'));
    assert.equal(isLoopbackAddress(config.adminIp), false, `admin_ip ${config.adminIp}: the kubelet cannot reach it`);
    assert.equal(isLoopbackAddress(config.serverIp), false, `server_ip ${config.serverIp}`);
    const [c] = byKind('Deployment').spec.template.spec.containers;
    const probed = c.ports.find((p: { name: string }) => p.name === 'admin');
    assert.equal(probed?.containerPort, config.adminPort);
    // The Secret example names the same settings.
    const example = read('docker/k8s/secret-material.example.yaml');
    for (const item of ['server_ip', 'admin_ip', 'admin_allow_remote']) {
      const value = new RegExp(`^${item}=(.*)$`, 'm').exec(text)?.[1];
      assert.match(example, new RegExp(`^\\s*#.*\\b${item}=${value}\\b`, 'm'), `the Secret example: ${item}=${value}`);
    }

    // And the front's admin listener answers the probed paths 200 when live and ready.
    const admin = buildAdminServer({
      metrics: new FrontMetrics({ serverName: 's' }),
      serverName: 's',
      readiness: async () => ({ ready: true, details: {} }),
      logger: { warn: () => {}, info: () => {} },
      allowRemote: config.adminAllowRemote,
    });
    const port = await admin.listen(config.adminIp, 0);
    try {
      for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe'])
        assert.equal((await fetch(`http://127.0.0.1:${port}${c[probe].httpGet.path}`)).status, 200, probe);
    } finally {
      await admin.close();
    }
  });

  it('the NetworkPolicy opens the mTLS port to clients and the admin port only to named scrapers', () => {
    const policy = byKind('NetworkPolicy');
    assert.deepEqual(policy.spec.podSelector.matchLabels, byKind('Deployment').spec.template.metadata.labels);
    assert.deepEqual(policy.spec.policyTypes, ['Ingress']);
    const rules = policy.spec.ingress as Array<{ from?: unknown[]; ports: Array<{ port: string }> }>;
    const portNames = byKind('Deployment').spec.template.spec.containers[0].ports.map((p: { name: string }) => p.name);
    for (const rule of rules)
      for (const p of rule.ports) assert.ok(portNames.includes(p.port), `${p.port} is no container port`);
    const mtls = rules.filter((r) => r.ports.some((p) => p.port === 'mtls'));
    const admin = rules.filter((r) => r.ports.some((p) => p.port === 'admin'));
    assert.deepEqual(
      mtls.map((r) => r.from),
      [undefined],
      'every client may reach mTLS',
    );
    assert.equal(admin.length, 1);
    assert.ok((admin[0]?.from?.length ?? 0) > 0, 'the admin port is not open to everyone');
  });

  it('the Service and the PodDisruptionBudget select the Deployment pods; the Certificate names an RSA key the import accepts', () => {
    const labels = byKind('Deployment').spec.template.metadata.labels;
    const service = byKind('Service');
    assert.deepEqual(service.spec.selector, labels);
    assert.deepEqual(service.spec.ports, [{ name: 'mtls', port: TLS_PORT, targetPort: 'mtls', protocol: 'TCP' }]);
    assert.deepEqual(byKind('PodDisruptionBudget').spec.selector.matchLabels, labels);
  });

  it('the cert-manager Certificate: a key the import takes without a warning, for the Service name, re-imported as the README says', () => {
    const cert = byKind('Certificate');
    assert.equal(cert.spec.privateKey.algorithm, 'RSA');
    assert.ok(cert.spec.privateKey.size >= ADVISED_RSA_KEY_BITS, `size ${cert.spec.privateKey.size}`);
    assert.equal(cert.spec.privateKey.rotationPolicy, 'Always');
    assert.ok(cert.spec.usages.includes('server auth'), 'the import requires the serverAuth extended key usage');
    const service = byKind('Service').metadata.name as string;
    assert.equal(cert.spec.dnsNames[0], service);
    for (const name of cert.spec.dnsNames as string[])
      assert.ok(name === service || name.startsWith(`${service}.`), `${name} does not name the Service`);
    assert.ok(cert.spec.renewBefore !== undefined, 'renewal before expiry leaves time for the re-import');
    // cert-manager's Secret holds an unencrypted tls.key, which the import refuses: it must never
    // be the mounted one. The README's re-import reads exactly this Secret with the shipped script.
    const mounted = byKind('Deployment').spec.template.spec.volumes[0].secret.secretName;
    assert.notEqual(cert.spec.secretName, mounted);
    const readme = read('README.md');
    for (const field of ['tls\\.crt', 'tls\\.key'])
      assert.ok(
        readme.includes(`kubectl get secret ${cert.spec.secretName} -o jsonpath='{.data.${field}}'`),
        `README reads ${field} of ${cert.spec.secretName}`,
      );
    assert.match(readme, /^docker\/k8s\/reimport\.sh run tls\.crt tls\.key/m);
    assert.ok((statSync(join(DOCKER, 'k8s', 'reimport.sh')).mode & 0o111) !== 0, 'reimport.sh is executable');
  });
});
