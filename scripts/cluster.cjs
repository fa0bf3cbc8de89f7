// `npm run cluster -- up|status|down|build`: a real Kubernetes control plane on loopback, built
// from Go modules (docs/cluster.md). `up` prints `export KUBECONFIG=<path>` on stdout and nothing
// else; progress goes to stderr. The versions are pinned in scripts/cluster/*/go.mod (+ go.sum),
// the only place Go honours them; this script reads them from there.
'use strict';
const { spawn, spawnSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const https = require('https');
const net = require('net');
const os = require('os');
const path = require('path');

const MODULES_DIR = path.join(__dirname, 'cluster');
/** Bumped when the way binaries are built changes without any go.mod changing. */
const BUILD_FORMAT = 1;
const SERVICE_CLUSTER_IP_RANGE = '10.0.0.0/24';
const SERVICE_IP = '10.0.0.1';
const ADDON_NAMESPACE = 'kube-system';
const SEALED_SECRETS_NAME = 'sealed-secrets-controller';

/** kube-controller-manager's controllers: what turns a Deployment into Pods, and the ServiceAccount plumbing. */
const CONTROLLERS = [
  'deployment-controller', 'replicaset-controller', 'garbage-collector-controller', 'namespace-controller',
  'serviceaccount-controller', 'serviceaccount-token-controller', 'root-ca-certificate-publisher-controller',
  'disruption-controller', 'job-controller', 'cronjob-controller',
];

/** The Go module pins, read from the wrapper modules. */
function pins() {
  const read = (dir, module) => {
    const text = fs.readFileSync(path.join(MODULES_DIR, dir, 'go.mod'), 'utf8');
    const match = new RegExp(`^\\s*(?:require\\s+)?${module.replace(/[.]/g, '\\.')}\\s+(v\\S+)`, 'm').exec(text);
    if (!match) throw new Error(`scripts/cluster/${dir}/go.mod requires no ${module}`);
    return match[1];
  };
  return {
    kubernetes: read('.', 'k8s.io/kubernetes'),
    etcd: read('.', 'go.etcd.io/etcd/server/v3'),
    sealedSecrets: read('sealed-secrets', 'github.com/bitnami-labs/sealed-secrets'),
    reloader: read('reloader', 'github.com/stakater/Reloader'),
    externalSecrets: read('external-secrets', 'github.com/external-secrets/external-secrets'),
  };
}

function log(message) {
  process.stderr.write(`cluster: ${message}\n`);
}

class ClusterError extends Error {}

// ---------------------------------------------------------------- building

/**
 * Reloader serves its health and metrics on a hard-coded ":9090" (every interface, one fixed port).
 * `go build -overlay` may not replace files in the module cache, so the build copies the module
 * into the cache folder (outside this repository), turns that one constant into a variable read from
 * RELOADER_HTTP_LISTEN_ADDR, and builds through a go.mod that replaces the module with the copy.
 * Returns the `-modfile` to build with.
 */
function patchedReloader(moduleDir, workDir) {
  const copy = path.join(workDir, 'module');
  fs.rmSync(workDir, { recursive: true, force: true });
  fs.cpSync(moduleDir, copy, { recursive: true });
  spawnSync('chmod', ['-R', 'u+w', copy]);
  const constants = path.join(copy, 'internal', 'pkg', 'constants', 'constants.go');
  const original = fs.readFileSync(constants, 'utf8');
  const line = /^\s*DefaultHttpListenAddr = ":9090"\n/m;
  if (!line.test(original)) throw new ClusterError(`Reloader's constants.go no longer declares DefaultHttpListenAddr = ":9090": review patchedReloader in scripts/cluster.cjs`);
  fs.writeFileSync(constants, original.replace(line, ''));
  fs.writeFileSync(path.join(path.dirname(constants), 'listen_addr.go'), 'package constants\n\nimport "os"\n\n' +
    '// DefaultHttpListenAddr: set by npm run cluster (scripts/cluster.cjs) to a loopback address.\n' +
    'var DefaultHttpListenAddr = os.Getenv("RELOADER_HTTP_LISTEN_ADDR")\n');
  const modfile = path.join(workDir, 'go.mod');
  fs.writeFileSync(modfile, fs.readFileSync(path.join(MODULES_DIR, 'reloader', 'go.mod'), 'utf8') + `\nreplace github.com/stakater/Reloader => ${copy}\n`);
  fs.copyFileSync(path.join(MODULES_DIR, 'reloader', 'go.sum'), path.join(workDir, 'go.sum'));
  return modfile;
}

function versionLdflags(version) {
  const [major, minor] = version.replace(/^v/, '').split('.');
  const vars = [];
  for (const pkg of ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']) {
    vars.push(`-X ${pkg}.gitVersion=${version}`, `-X ${pkg}.gitMajor=${major}`, `-X ${pkg}.gitMinor=${minor}`, `-X ${pkg}.gitTreeState=clean`);
  }
  return `-s -w ${vars.join(' ')}`;
}

/** What each binary is built from: module folder, package, extra `go build` arguments. */
function binaries(versions) {
  const k8s = (cmd) => ({ dir: '.', pkg: `k8s.io/kubernetes/cmd/${cmd}`, ldflags: versionLdflags(versions.kubernetes) });
  return {
    'kube-apiserver': k8s('kube-apiserver'),
    'kube-controller-manager': k8s('kube-controller-manager'),
    kubectl: k8s('kubectl'),
    etcd: { dir: '.', pkg: './etcd', ldflags: '-s -w' },
    'sealed-secrets-controller': { dir: 'sealed-secrets', pkg: 'github.com/bitnami-labs/sealed-secrets/cmd/controller', ldflags: `-s -w -X main.VERSION=${versions.sealedSecrets}` },
    reloader: { dir: 'reloader', pkg: 'github.com/stakater/Reloader', ldflags: '-s -w', patched: true },
  };
}

function goAvailable() {
  const result = spawnSync('go', ['version'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

function cacheRoot() {
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'task-api-cluster');
}

/** The cache folder for these exact pins: a change to any go.mod, go.sum, Go or this build changes it. */
function cacheDir(goVersion) {
  const hash = crypto.createHash('sha256');
  hash.update(`format ${BUILD_FORMAT}\n${goVersion}\n`);
  for (const dir of ['.', 'sealed-secrets', 'reloader', 'external-secrets']) {
    for (const file of ['go.mod', 'go.sum']) {
      hash.update(`${dir}/${file}\n`);
      hash.update(fs.readFileSync(path.join(MODULES_DIR, dir, file)));
    }
  }
  hash.update(fs.readFileSync(path.join(MODULES_DIR, 'etcd', 'main.go')));
  return path.join(cacheRoot(), hash.digest('hex').slice(0, 16));
}

function goRun(args, dir, extraEnv = {}) {
  const result = spawnSync('go', args, { cwd: path.join(MODULES_DIR, dir), encoding: 'utf8', env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: `${process.env.GOFLAGS ?? ''} -mod=readonly -buildvcs=false`.trim(), ...extraEnv }, maxBuffer: 64 << 20 });
  if (result.status !== 0) throw new ClusterError(`go ${args.join(' ')} (in scripts/cluster/${dir}) failed: ${(result.stderr || String(result.error)).trim()}`);
  return result.stdout;
}

function moduleDir(dir, module) {
  return JSON.parse(goRun(['mod', 'download', '-json', module], dir)).Dir;
}

function executable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * Every binary and CRD file the cluster needs. Binaries come from KUBEBUILDER_ASSETS when it holds
 * them (envtest's folder: kube-apiserver, etcd, kubectl), the rest from the cache, built with Go
 * when missing. A second call finds everything in the cache and takes well under a second.
 */
function ensureAssets() {
  const versions = pins();
  const assets = process.env.KUBEBUILDER_ASSETS;
  const wanted = binaries(versions);
  const found = {};
  if (assets) for (const name of Object.keys(wanted)) if (executable(path.join(assets, name))) found[name] = path.join(assets, name);
  const goVersion = goAvailable();
  if (!goVersion) {
    const missing = Object.keys(wanted).filter((name) => !found[name]);
    if (!assets) throw new ClusterError('no Go toolchain on PATH and KUBEBUILDER_ASSETS is unset: install Go 1.24 or newer (https://go.dev/dl/, or apt-get install golang-go) to build the control plane');
    throw new ClusterError(`KUBEBUILDER_ASSETS (${assets}) lacks ${missing.join(', ')} and there is no Go toolchain on PATH to build them (or the CRDs): install Go 1.24 or newer (https://go.dev/dl/)`);
  }
  const cache = cacheDir(goVersion);
  const bin = path.join(cache, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  for (const [name, spec] of Object.entries(wanted)) {
    if (found[name]) continue;
    const target = path.join(bin, name);
    if (!executable(target)) {
      const started = Date.now();
      log(`building ${name} (${spec.pkg}) into ${bin}; the first build takes minutes`);
      const partial = `${target}.${process.pid}.partial`;
      const args = ['build', '-trimpath', '-ldflags', spec.ldflags, '-o', partial];
      if (spec.patched) args.push(`-modfile=${patchedReloader(moduleDir('reloader', 'github.com/stakater/Reloader'), path.join(cache, 'reloader-source'))}`);
      goRun([...args, spec.pkg], spec.dir);
      fs.renameSync(partial, target);
      log(`built ${name} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
    found[name] = target;
  }
  const crds = path.join(cache, 'crds');
  if (!fs.existsSync(path.join(crds, 'done'))) {
    fs.rmSync(crds, { recursive: true, force: true });
    fs.mkdirSync(crds, { recursive: true });
    const sealed = moduleDir('sealed-secrets', 'github.com/bitnami-labs/sealed-secrets');
    fs.copyFileSync(path.join(sealed, 'helm', 'sealed-secrets', 'crds', 'bitnami.com_sealedsecrets.yaml'), path.join(crds, 'bitnami.com_sealedsecrets.yaml'));
    const eso = path.join(moduleDir('external-secrets', 'github.com/external-secrets/external-secrets'), 'config', 'crds', 'bases');
    for (const file of fs.readdirSync(eso)) if (file.endsWith('.yaml') && file !== 'kustomization.yaml') fs.copyFileSync(path.join(eso, file), path.join(crds, file));
    fs.writeFileSync(path.join(crds, 'done'), '');
  }
  return { versions, bin: found, crds };
}

// ---------------------------------------------------------------- state

function stateDir() {
  if (process.env.TASK_API_CLUSTER_DIR) return path.resolve(process.env.TASK_API_CLUSTER_DIR);
  const uid = typeof process.getuid === 'function' ? process.getuid() : 'user';
  return process.env.XDG_RUNTIME_DIR ? path.join(process.env.XDG_RUNTIME_DIR, 'task-api-cluster') : path.join(os.tmpdir(), `task-api-cluster-${uid}`);
}

function readState(dir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

function writeState(dir, state) {
  const partial = path.join(dir, `state.json.${process.pid}`);
  fs.writeFileSync(partial, JSON.stringify(state, null, 2) + '\n');
  fs.renameSync(partial, path.join(dir, 'state.json'));
}

/** Whether `pid` is still the process that was started as `binary` (not a zombie, not a reused pid). */
function alive(pid, binary) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (/\) Z /.test(stat)) return false;
    if (!binary) return true;
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return cmdline.includes(binary) || cmdline[0] === binary;
  } catch {
    return false;
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** SIGTERM, then SIGKILL after `graceMs`; returns once the process is gone. */
async function stopProcess(component, graceMs = 10000) {
  if (!alive(component.pid, component.binary)) return 'not running';
  try { process.kill(component.pid, 'SIGTERM'); } catch { return 'not running'; }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!alive(component.pid, component.binary)) return 'stopped';
    await sleep(100);
  }
  try { process.kill(component.pid, 'SIGKILL'); } catch { /* gone meanwhile */ }
  while (alive(component.pid, component.binary)) await sleep(50);
  return 'killed';
}

// ---------------------------------------------------------------- certificates

function forge() {
  try {
    return require('node-forge');
  } catch {
    throw new ClusterError('node-forge is not installed (a devDependency): run npm ci');
  }
}

/** An RSA key from Node's crypto (fast), converted for node-forge, which writes the certificates. */
function rsaKey() {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' });
  return { pem, forgeKey: forge().pki.privateKeyFromPem(pem) };
}

function certificate({ subject, issuer, key, serial, ca = false, serverNames = [], ipAddresses = [], client = false }) {
  const pki = forge().pki;
  const cert = pki.createCertificate();
  cert.publicKey = pki.setRsaPublicKey(key.forgeKey.n, key.forgeKey.e);
  cert.serialNumber = serial;
  cert.validity.notBefore = new Date(Date.now() - 60 * 60 * 1000);
  cert.validity.notAfter = new Date(Date.now() + 365 * 24 * 60 * 60 * 1000);
  const attrs = (s) => [{ name: 'commonName', value: s.cn }, ...(s.o ?? []).map((o) => ({ name: 'organizationName', value: o }))];
  cert.setSubject(attrs(subject));
  cert.setIssuer(attrs(issuer ? issuer.subject : subject));
  const extensions = [{ name: 'basicConstraints', cA: ca, critical: true }];
  if (ca) extensions.push({ name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true });
  else extensions.push({ name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true }, { name: 'extKeyUsage', serverAuth: !client, clientAuth: client });
  if (serverNames.length + ipAddresses.length > 0) {
    extensions.push({ name: 'subjectAltName', altNames: [...serverNames.map((value) => ({ type: 2, value })), ...ipAddresses.map((ip) => ({ type: 7, ip }))] });
  }
  cert.setExtensions(extensions);
  cert.sign(issuer ? issuer.key.forgeKey : key.forgeKey, forge().md.sha256.create());
  return pki.certificateToPem(cert);
}

/** A random serial number whose first byte keeps DER's sign bit clear (Go refuses negative serials). */
function positiveSerial() {
  const bytes = crypto.randomBytes(8);
  bytes[0] = (bytes[0] & 0x7f) | 0x40;
  return bytes.toString('hex');
}

/** The cluster CA, the API server's serving certificate, client certificates, the service-account key pair. */
function writePki(dir) {
  const pki = path.join(dir, 'pki');
  fs.mkdirSync(pki, { recursive: true, mode: 0o700 });
  const write = (name, text) => fs.writeFileSync(path.join(pki, name), text, { mode: 0o600 });
  const caKey = rsaKey();
  const ca = { subject: { cn: 'task-api-cluster-ca' }, key: caKey };
  write('ca.crt', certificate({ subject: ca.subject, key: caKey, serial: '01', ca: true }));
  write('ca.key', caKey.pem);
  const leaf = (name, subject, options) => {
    const key = rsaKey();
    write(`${name}.key`, key.pem);
    write(`${name}.crt`, certificate({ subject, issuer: ca, key, serial: positiveSerial(), ...options }));
  };
  leaf('apiserver', { cn: 'kube-apiserver' }, {
    serverNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
    ipAddresses: ['127.0.0.1', SERVICE_IP],
  });
  leaf('admin', { cn: 'task-api-cluster-admin', o: ['system:masters'] }, { client: true });
  leaf('controller-manager', { cn: 'system:kube-controller-manager' }, { client: true });
  leaf('reloader', { cn: 'task-api-cluster:reloader' }, { client: true });
  const sa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  write('sa.key', sa.privateKey.export({ type: 'pkcs1', format: 'pem' }));
  write('sa.pub', sa.publicKey.export({ type: 'spki', format: 'pem' }));
  return pki;
}

function writeKubeconfig(file, server, pki, user) {
  const b64 = (name) => fs.readFileSync(path.join(pki, name)).toString('base64');
  fs.writeFileSync(file, [
    'apiVersion: v1', 'kind: Config',
    'clusters:', '- name: task-api-cluster', '  cluster:', `    server: ${server}`, `    certificate-authority-data: ${b64('ca.crt')}`,
    'users:', `- name: ${user}`, '  user:', `    client-certificate-data: ${b64(`${user}.crt`)}`, `    client-key-data: ${b64(`${user}.key`)}`,
    'contexts:', '- name: task-api-cluster', '  context:', '    cluster: task-api-cluster', `    user: ${user}`,
    'current-context: task-api-cluster', '',
  ].join('\n'), { mode: 0o600 });
  return file;
}

// ---------------------------------------------------------------- starting

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** GET `url`; resolves with the status code and body, or undefined when nothing answers yet. */
function get(url, tls = {}) {
  return new Promise((resolve) => {
    const client = url.startsWith('https:') ? https : http;
    const request = client.get(url, { ...tls, timeout: 5000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => { body += chunk; });
      response.on('end', () => resolve({ status: response.statusCode, body }));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', (error) => resolve({ status: 0, body: String(error) }));
  });
}

function tail(file, lines = 15) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Polls `check` until it returns a truthy value; fails naming `what` after `timeoutMs` or when the component died. */
async function waitFor(what, check, { timeoutMs = 120000, component } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    const value = await check((seen) => { last = seen; });
    if (value) return value;
    if (component && !alive(component.pid, component.binary)) {
      throw new ClusterError(`${component.name} exited while waiting for ${what}; the end of ${component.log}:\n${tail(component.log)}`);
    }
    if (Date.now() > deadline) throw new ClusterError(`timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? ` (last answer: ${last})` : ''}${component ? `; the end of ${component.log}:\n${tail(component.log)}` : ''}`);
    await sleep(250);
  }
}

/**
 * Starts a component in its own process group, detached: it outlives `up`, and `down` (or the
 * test harness) stops it by the pid recorded in state.json.
 */
function start(dir, state, name, binary, args, { env = {}, command } = {}) {
  const logFile = path.join(dir, 'logs', `${name}.log`);
  const out = fs.openSync(logFile, 'a');
  const [file, argv] = command ? [command[0], [...command.slice(1), binary, ...args]] : [binary, args];
  const child = spawn(file, argv, { detached: true, stdio: ['ignore', out, out], env: { PATH: process.env.PATH, HOME: dir, ...env } });
  fs.closeSync(out);
  child.unref();
  const component = { name, pid: child.pid, binary, log: logFile };
  state.components.push(component);
  writeState(dir, state);
  log(`started ${name} (pid ${child.pid})`);
  return component;
}

function kubectlRunner(kubectl, kubeconfig) {
  return (args, input) => {
    const result = spawnSync(kubectl, args, { input, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: os.tmpdir(), KUBECONFIG: kubeconfig } });
    if (result.status !== 0) throw new ClusterError(`kubectl ${args.join(' ')} failed: ${(result.stderr || String(result.error)).trim()}`);
    return result.stdout;
  };
}

/** What the add-ons may do: close to what their charts grant. */
function addonObjects() {
  const clusterRole = (name, rules) => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name }, rules });
  const binding = (name, subject) => ({
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name }, subjects: [subject],
  });
  const events = { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] };
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: SEALED_SECRETS_NAME, namespace: ADDON_NAMESPACE } },
    clusterRole('task-api-cluster:sealed-secrets', [
      { apiGroups: ['bitnami.com'], resources: ['sealedsecrets'], verbs: ['get', 'list', 'watch', 'update', 'patch'] },
      { apiGroups: ['bitnami.com'], resources: ['sealedsecrets/status'], verbs: ['update', 'patch'] },
      { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
      { apiGroups: [''], resources: ['namespaces'], verbs: ['get'] },
      events,
    ]),
    binding('task-api-cluster:sealed-secrets', { kind: 'ServiceAccount', name: SEALED_SECRETS_NAME, namespace: ADDON_NAMESPACE }),
    clusterRole('task-api-cluster:reloader', [
      { apiGroups: [''], resources: ['secrets', 'configmaps'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'update', 'patch'] },
      { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['apps'], resources: ['deployments', 'daemonsets', 'statefulsets'], verbs: ['get', 'list', 'update', 'patch'] },
      { apiGroups: ['batch'], resources: ['cronjobs', 'jobs'], verbs: ['get', 'list', 'create', 'update', 'patch', 'delete'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
      events,
    ]),
    binding('task-api-cluster:reloader', { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'task-api-cluster:reloader' }),
  ];
}

async function up(dir) {
  const started = Date.now();
  const existing = readState(dir);
  if (existing) {
    const running = existing.components.filter((c) => alive(c.pid, c.binary));
    if (running.length > 0) {
      throw new ClusterError(`a cluster is already running (${running.map((c) => `${c.name} pid ${c.pid}`).join(', ')}; state in ${dir}): ` +
        '`npm run cluster -- down` stops it');
    }
    log(`removing the state of a cluster that no longer runs (${dir})`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const { versions, bin, crds } = ensureAssets();
  fs.mkdirSync(path.join(dir, 'logs'), { recursive: true, mode: 0o700 });
  const state = { versions, components: [], startedBy: process.pid };
  writeState(dir, state);
  try {
    return await startAll(dir, state, bin, crds, started);
  } catch (error) {
    log('start failed; stopping what was started');
    await down(dir, { quiet: true, keepLogs: true });
    throw error;
  }
}

async function startAll(dir, state, bin, crds, started) {
  const pki = writePki(dir);
  const file = (name) => path.join(pki, name);
  const [etcdPort, etcdPeerPort, apiPort, kcmPort, sealedPort, sealedMetricsPort, reloaderPort] =
    await Promise.all([1, 2, 3, 4, 5, 6, 7].map(() => freePort()));
  state.ports = { etcd: etcdPort, etcdPeer: etcdPeerPort, apiserver: apiPort, controllerManager: kcmPort, sealedSecrets: sealedPort, sealedSecretsMetrics: sealedMetricsPort, reloader: reloaderPort };

  const etcdUrl = `http://127.0.0.1:${etcdPort}`;
  const peerUrl = `http://127.0.0.1:${etcdPeerPort}`;
  const etcd = start(dir, state, 'etcd', bin.etcd, [
    '--name=task-api', `--data-dir=${path.join(dir, 'etcd')}`,
    `--listen-client-urls=${etcdUrl}`, `--advertise-client-urls=${etcdUrl}`,
    `--listen-peer-urls=${peerUrl}`, `--initial-advertise-peer-urls=${peerUrl}`, `--initial-cluster=task-api=${peerUrl}`,
    '--unsafe-no-fsync', '--log-level=warn',
  ]);
  await waitFor('etcd to answer /health', async () => (await get(`${etcdUrl}/health`))?.status === 200, { component: etcd });

  const server = `https://127.0.0.1:${apiPort}`;
  const apiserver = start(dir, state, 'kube-apiserver', bin['kube-apiserver'], [
    `--etcd-servers=${etcdUrl}`,
    '--bind-address=127.0.0.1', `--secure-port=${apiPort}`, '--advertise-address=127.0.0.1',
    `--tls-cert-file=${file('apiserver.crt')}`, `--tls-private-key-file=${file('apiserver.key')}`,
    `--client-ca-file=${file('ca.crt')}`,
    '--authorization-mode=Node,RBAC',
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${file('sa.pub')}`, `--service-account-signing-key-file=${file('sa.key')}`,
    `--service-cluster-ip-range=${SERVICE_CLUSTER_IP_RANGE}`,
    '--allow-privileged=true',
    // The kubernetes Service's endpoints would be 127.0.0.1, which Endpoints validation refuses; in-cluster
    // clients here read KUBERNETES_SERVICE_HOST=127.0.0.1 instead of the Service.
    '--endpoint-reconciler-type=none',
    `--cert-dir=${path.join(dir, 'apiserver-certs')}`,
  ]);
  const tls = { ca: fs.readFileSync(file('ca.crt')), cert: fs.readFileSync(file('admin.crt')), key: fs.readFileSync(file('admin.key')) };
  await waitFor('kube-apiserver to answer /readyz', async (seen) => {
    const response = await get(`${server}/readyz?verbose`, tls);
    seen(`${response.status} ${response.body.split('\n').filter((l) => !l.includes(' ok')).join(' ').slice(0, 300)}`);
    return response.status === 200;
  }, { component: apiserver });

  const adminKubeconfig = writeKubeconfig(path.join(dir, 'kubeconfig'), server, pki, 'admin');
  const kcmKubeconfig = writeKubeconfig(path.join(dir, 'controller-manager.kubeconfig'), server, pki, 'controller-manager');
  const kcm = start(dir, state, 'kube-controller-manager', bin['kube-controller-manager'], [
    `--kubeconfig=${kcmKubeconfig}`, `--authentication-kubeconfig=${kcmKubeconfig}`, `--authorization-kubeconfig=${kcmKubeconfig}`,
    '--bind-address=127.0.0.1', `--secure-port=${kcmPort}`, `--cert-dir=${path.join(dir, 'controller-manager-certs')}`,
    `--controllers=${CONTROLLERS.join(',')}`,
    `--service-account-private-key-file=${file('sa.key')}`, `--root-ca-file=${file('ca.crt')}`,
    '--use-service-account-credentials=true', '--leader-elect=false',
  ]);
  const kubectl = kubectlRunner(bin.kubectl, adminKubeconfig);
  await waitFor('kube-controller-manager to answer /healthz', async () => (await get(`https://127.0.0.1:${kcmPort}/healthz`, { rejectUnauthorized: false }))?.status === 200, { component: kcm });
  await waitFor('the default ServiceAccount (serviceaccount-controller)', async () => {
    try { kubectl(['get', 'serviceaccount', 'default', '-n', 'default', '-o', 'name']); return true; } catch { return false; }
  }, { component: kcm });

  log('installing the Sealed Secrets and External Secrets CRDs');
  kubectl(['apply', '--server-side', '-f', crds]);
  kubectl(['wait', '--for=condition=Established', '--timeout=60s', '-f', crds]);
  kubectl(['apply', '--server-side', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: addonObjects() }));

  // rest.InClusterConfig(): KUBERNETES_SERVICE_HOST/PORT and the token + CA under
  // /var/run/secrets/kubernetes.io/serviceaccount (/var/run is /run). A private mount namespace
  // (unshare -m, root only) puts a tmpfs on /run for this one process and binds its folder there.
  const saDir = path.join(dir, 'sealed-secrets-serviceaccount');
  fs.mkdirSync(saDir, { mode: 0o700 });
  fs.writeFileSync(path.join(saDir, 'token'), kubectl(['create', 'token', SEALED_SECRETS_NAME, '-n', ADDON_NAMESPACE, '--duration=720h']).trim(), { mode: 0o600 });
  fs.copyFileSync(file('ca.crt'), path.join(saDir, 'ca.crt'));
  fs.writeFileSync(path.join(saDir, 'namespace'), ADDON_NAMESPACE);
  const mountScript = 'mount -t tmpfs -o size=1m,mode=0755 tmpfs /run && mkdir -p /run/secrets/kubernetes.io/serviceaccount && ' +
    'mount --bind "$SA_DIR" /run/secrets/kubernetes.io/serviceaccount && exec "$@"';
  const sealed = start(dir, state, 'sealed-secrets-controller', bin['sealed-secrets-controller'], [
    `--listen-addr=127.0.0.1:${sealedPort}`, `--listen-metrics-addr=127.0.0.1:${sealedMetricsPort}`,
  ], {
    command: ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', mountScript, 'sh'],
    env: { SA_DIR: saDir, KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(apiPort), POD_NAMESPACE: ADDON_NAMESPACE },
  });
  const certPem = await waitFor('the Sealed Secrets controller to serve /v1/cert.pem', async () => {
    const response = await get(`http://127.0.0.1:${sealedPort}/v1/cert.pem`);
    return response?.status === 200 && response.body.includes('BEGIN CERTIFICATE') ? response.body : undefined;
  }, { component: sealed });
  fs.writeFileSync(path.join(dir, 'sealed-secrets-cert.pem'), certPem);

  const reloaderKubeconfig = writeKubeconfig(path.join(dir, 'reloader.kubeconfig'), server, pki, 'reloader');
  const reloader = start(dir, state, 'reloader', bin.reloader, [], {
    env: { KUBECONFIG: reloaderKubeconfig, RELOADER_HTTP_LISTEN_ADDR: `127.0.0.1:${reloaderPort}`, RELOADER_NAMESPACE: ADDON_NAMESPACE, POD_NAMESPACE: ADDON_NAMESPACE },
  });
  await waitFor('Reloader to answer /live', async () => (await get(`http://127.0.0.1:${reloaderPort}/live`))?.status === 200, { component: reloader });

  state.kubeconfig = adminKubeconfig;
  state.kubectl = bin.kubectl;
  state.server = server;
  state.sealedSecretsCert = path.join(dir, 'sealed-secrets-cert.pem');
  writeState(dir, state);
  log(`up in ${((Date.now() - started) / 1000).toFixed(1)} s: ${server}; state in ${dir}`);
  return state;
}

async function down(dir, { quiet = false, keepLogs = false, except } = {}) {
  const state = readState(dir);
  if (!state) {
    if (!quiet) log(`no cluster state in ${dir}: nothing to stop`);
    return;
  }
  for (const component of [...state.components].reverse()) {
    if (component.pid === except) continue;
    const outcome = await stopProcess(component);
    if (!quiet) log(`${component.name} (pid ${component.pid}): ${outcome}`);
  }
  if (keepLogs) {
    for (const name of fs.readdirSync(dir)) if (name !== 'logs') fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  } else {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function status(dir) {
  const state = readState(dir);
  if (!state) {
    process.stderr.write(`no cluster (no state in ${dir})\n`);
    return false;
  }
  let all = true;
  for (const component of state.components) {
    const running = alive(component.pid, component.binary);
    all &&= running;
    process.stderr.write(`${component.name.padEnd(26)} pid ${String(component.pid).padEnd(8)} ${running ? 'alive' : 'NOT RUNNING'}  log ${component.log}\n`);
  }
  if (state.kubeconfig) process.stderr.write(`KUBECONFIG=${state.kubeconfig}  server ${state.server}\n`);
  return all;
}

/**
 * The test harness's watchdog: a separate process that stops the cluster when `parentPid` (jest)
 * is gone, for a jest that dies without running its teardown. Node has no PR_SET_PDEATHSIG.
 */
async function watch(dir, parentPid) {
  for (;;) {
    if (!alive(parentPid)) {
      await down(dir, { quiet: true, except: process.pid });
      return;
    }
    if (!readState(dir)) return; // stopped by teardown
    await sleep(1000);
  }
}

/** Starts the watchdog for `parentPid` and records it in state.json, so that teardown stops it too. */
function startWatchdog(dir, parentPid) {
  const child = spawn(process.execPath, [__filename, 'watch', String(parentPid)], {
    detached: true, stdio: 'ignore', env: { PATH: process.env.PATH, TASK_API_CLUSTER_DIR: dir },
  });
  child.unref();
  const state = readState(dir);
  state.components.push({ name: 'watchdog', pid: child.pid, binary: __filename, log: '' });
  writeState(dir, state);
  return child.pid;
}

async function main(argv) {
  const [command, ...rest] = argv;
  const dir = stateDir();
  switch (command) {
    case 'up': {
      const state = await up(dir);
      process.stdout.write(`export KUBECONFIG=${state.kubeconfig}\n`);
      return 0;
    }
    case 'down':
      await down(dir);
      return 0;
    case 'status':
      return status(dir) ? 0 : 1;
    case 'build': {
      const { versions, bin } = ensureAssets();
      log(`versions: ${Object.entries(versions).map(([k, v]) => `${k} ${v}`).join(', ')}`);
      for (const [name, file] of Object.entries(bin)) log(`${name}: ${file}`);
      return 0;
    }
    case 'watch':
      await watch(dir, Number(rest[0]));
      return 0;
    default:
      process.stderr.write('usage: npm run cluster -- up | status | down | build\n');
      return 2;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (error) => {
    process.stderr.write(`cluster: ${error instanceof ClusterError ? error.message : error.stack}\n`);
    process.exitCode = 1;
  });
}

module.exports = { up, down, status, stateDir, ensureAssets, readState, alive, startWatchdog, ClusterError };
