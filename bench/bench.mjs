// npm run bench: times what `npm run synth` runs (`node scripts/synth.cjs`) against `kubectl
// kustomize` of three overlays building the same objects, `npx cdk8s synth` against the stock
// ts-node template, and a fleet of 10, 100 and 1000 services, then prints a table and one JSON
// line. Needs nothing beyond `npm ci` (and kubectl on PATH for the kustomize contender).
//
// Every contender runs in a generated project under bench/.work/ (git-ignored): a copy of the
// committed env files plus FAKE staging and production secrets, so no real secret is ever read.
// Contenders run one after the other in rounds (A B C, A B C, …) after warm-up rounds, so that
// a slow spell of the machine hits them all alike; the table shows medians.
//
//   node bench/bench.mjs [--quick] [--synth-only]
//     --quick: few runs, to try the bench out; --synth-only: the first table only (npm run synth
//     against kubectl kustomize), in about half a minute
import { spawnSync } from 'child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { availableParallelism } from 'os';
import { dirname, join } from 'path';
import { fileURLToPath } from 'url';
import { parseAllDocuments } from 'yaml';
import buildScript from '../scripts/build.cjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const WORK = join(ROOT, 'bench', '.work');
const QUICK = process.argv.includes('--quick');
const SYNTH_ONLY = process.argv.includes('--synth-only');
const ENVIRONMENTS = ['dev', 'staging', 'production'];
const FLEET_SIZES = [10, 100, 1000];
const { BUILD_DIR, ensureBuilt, NOT_MAIN_MODULE } = buildScript;
const log = (line) => console.error(line);

// ---------------------------------------------------------------------------------------------
// Inputs

/**
 * A project folder: the committed env files only, plus fake secrets for staging and production,
 * and for the kustomize overlays their pull secret's .dockerconfigjson.
 */
function makeProject(dir) {
  mkdirSync(join(dir, 'env'), { recursive: true });
  for (const name of readdirSync(join(ROOT, 'env'))) {
    const committed = name === 'dev.secrets.env' || !name.endsWith('.secrets.env');
    if (committed) cpSync(join(ROOT, 'env', name), join(dir, 'env', name));
  }
  for (const environment of ['staging', 'production']) {
    const keys = readFileSync(join(ROOT, 'env', `${environment}.secrets.env.example`), 'utf8')
      .split('\n').map((line) => /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(line)?.[1]).filter(Boolean);
    const fake = Object.fromEntries(keys.map((key) => [key, `fake-bench-${environment}-${key.toLowerCase().replace(/_/g, '-')}`]));
    writeFileSync(join(dir, 'env', `${environment}.secrets.env`), keys.map((key) => `${key}=${fake[key]}\n`).join(''));
    // The kustomize overlays' pull secret: what `kubectl create secret docker-registry` holds.
    const { GITHUB_USERNAME: username, GITHUB_TOKEN: password } = fake;
    const auth = Buffer.from(`${username}:${password}`).toString('base64');
    writeFileSync(join(dir, 'env', `${environment}.dockerconfigjson`), JSON.stringify({ auths: { 'ghcr.io': { username, password, auth } } }));
  }
  return dir;
}

function setUp() {
  rmSync(WORK, { recursive: true, force: true });
  const project = makeProject(join(WORK, 'project'));
  cpSync(join(ROOT, 'bench', 'kustomize'), join(project, 'bench', 'kustomize'), { recursive: true });
  mkdirSync(join(project, 'kustomize-out'));
  const quote = (path) => `'${path.replace(/'/g, `'\\''`)}'`;
  const ours = makeProject(join(WORK, 'cdk8s-ours'));
  writeFileSync(join(ours, 'cdk8s.yaml'), `language: typescript\napp: node ${quote(join(ROOT, 'scripts', 'synth.cjs'))}\noutput: dist\n`);
  // The stock `cdk8s init typescript-app` template runs the app through ts-node. npx finds
  // ts-node in this repository's node_modules (bench/.work is inside it).
  const tsNode = makeProject(join(WORK, 'cdk8s-ts-node'));
  writeFileSync(join(tsNode, 'cdk8s.yaml'), `language: typescript\napp: npx ts-node ${quote(join(ROOT, 'main.ts'))}\noutput: dist\n`);
  const fleets = {};
  for (const size of FLEET_SIZES) {
    const dir = makeProject(join(WORK, `fleet-${size}`));
    const services = Array.from({ length: size }, (_, i) => `svc-${String(i + 1).padStart(4, '0')}`);
    writeFileSync(join(dir, 'fleet.json'), JSON.stringify({ services }));
    fleets[size] = dir;
  }
  return { project, ours, tsNode, fleets };
}

async function buildFleetProgram() {
  const { build } = await import('esbuild');
  const outfile = join(WORK, 'fleet.js');
  await build({
    entryPoints: [join(ROOT, 'bench', 'fleet-program.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'error',
    banner: { js: NOT_MAIN_MODULE },
  });
  return outfile;
}

// ---------------------------------------------------------------------------------------------
// The kustomize overlays build what synth writes

/**
 * The differences between what synth wrote to `distDir` and what kustomize built (`yaml`), as
 * `kind/name path` lines (no values: the Secrets hold fake values, but a value is not a message).
 * What each tool does its own way is left out of the comparison: both append a content hash to
 * the names of ConfigMaps and Secrets, each its own (synth keys the Secret's); synth writes
 * checksum annotations and the names of earlier versions (task-api/config-history) for rollbacks;
 * cdk8s adds a bookkeeping label and empty fields; kustomize wraps long base64 data.
 */
function differences(distDir, yaml) {
  const ours = readdirSync(distDir).sort().flatMap((file) => parseAllDocuments(readFileSync(join(distDir, file), 'utf8')).map((doc) => doc.toJS()));
  const theirs = parseAllDocuments(yaml).map((doc) => doc.toJS());
  const generated = new Map([...ours, ...theirs].filter((o) => ['ConfigMap', 'Secret'].includes(o.kind)).map((o) => [o.metadata.name, o.metadata.name.replace(/-[a-z0-9]{10}$/, '')]));
  const unhash = (value) => (typeof value === 'string' ? generated.get(value) ?? value : value);
  const normalize = (object) => {
    const copy = prune(mapStrings(object, unhash));
    if (copy.kind === 'Secret') copy.data = Object.fromEntries(Object.entries(copy.data ?? {}).map(([k, v]) => [k, Buffer.from(v.replace(/\s/g, ''), 'base64').toString('utf8')]));
    return copy;
  };
  const byKey = (objects) => new Map(objects.map(normalize).map((o) => [`${o.kind}/${o.metadata.name}`, o]));
  const a = byKey(ours);
  const b = byKey(theirs);
  const found = [];
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    if (!a.has(key) || !b.has(key)) found.push(`${key}: only in ${a.has(key) ? 'synth' : 'kustomize'}`);
    else found.push(...differingPaths(a.get(key), b.get(key), '').map((path) => `${key} ${path}`));
  }
  return found;
}

function mapStrings(value, map) {
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, map));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, map)]));
  return map(value);
}

/** Without checksum and history annotations, the cdk8s bookkeeping label and empty objects and lists. */
function prune(value) {
  if (Array.isArray(value)) return value.map(prune);
  if (!value || typeof value !== 'object') return value;
  const kept = Object.entries(value)
    .filter(([k]) => !k.startsWith('checksum/') && k !== 'task-api/config-history' && k !== 'cdk8s.io/metadata.addr')
    .map(([k, v]) => [k, prune(v)])
    .filter(([, v]) => !(v && typeof v === 'object' && Object.keys(v).length === 0));
  return Object.fromEntries(kept);
}

function differingPaths(a, b, path) {
  if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => differingPaths(a[k], b[k], `${path}/${k}`));
  }
  return a === b ? [] : [path || '/'];
}

// ---------------------------------------------------------------------------------------------
// Running and timing

/** The environment of every timed program: nothing from the caller's shell but PATH and HOME. */
function childEnv(extra = {}) {
  return { PATH: process.env.PATH, HOME: process.env.HOME, TASK_API_ENV: ENVIRONMENTS.join(','), CDK8S_CHECK_UPGRADE: 'false', ...extra };
}

/** Runs a contender's commands in order; returns seconds. Fails loudly (stderr only: no secrets are printed there). */
function runOnce(contender) {
  const start = process.hrtime.bigint();
  for (const [command, ...args] of contender.commands) {
    const result = spawnSync(command, args, { cwd: contender.cwd, env: contender.env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (result.status !== 0) {
      throw new Error(`${contender.name}: ${[command, ...args].join(' ')} exited with ${result.status ?? result.signal}:\n${(result.stderr ?? String(result.error)).slice(0, 2000)}`);
    }
  }
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Warm-up rounds, then timed rounds, alternating between the contenders. */
function measure(contenders, { warmups, runs }) {
  const times = new Map(contenders.map((c) => [c.name, []]));
  for (let round = 0; round < warmups + runs; round++) {
    for (const contender of contenders) {
      const seconds = runOnce(contender);
      if (round >= warmups) times.get(contender.name).push(seconds);
    }
    process.stderr.write(`\r  round ${round + 1}/${warmups + runs}${round < warmups ? ' (warm-up)' : ''}   `);
  }
  process.stderr.write('\n');
  return new Map([...times].map(([name, list]) => [name, { median: median(list), runs: list.length }]));
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function usageFile(size) {
  return join(WORK, `usage-fleet-${size}.jsonl`);
}

function filesIn(dir) {
  return existsSync(dir) ? readdirSync(dir) : [];
}

// ---------------------------------------------------------------------------------------------

async function main() {
  log('bench: building the synth program and the fleet program');
  await ensureBuilt({ log });
  const { project, ours, tsNode, fleets } = setUp();
  const fleetProgram = await buildFleetProgram();
  const env = childEnv();

  const kubectl = ['kubectl', 'kustomize', '--load-restrictor=LoadRestrictionsNone'];
  const contenders = {
    // The headline: the command `npm run synth` runs (package.json), started directly.
    synth: { name: 'node scripts/synth.cjs (npm run synth)', cwd: project, env, commands: [[process.execPath, join(ROOT, 'scripts', 'synth.cjs')]] },
    program: { name: 'node build/main.js (no build check)', cwd: project, env, commands: [[process.execPath, join(BUILD_DIR, 'main.js')]] },
    nodeStart: { name: 'node -e 0 (Node starting)', cwd: project, env, commands: [[process.execPath, '-e', '0']] },
    kustomize: {
      name: 'kubectl kustomize, 3 overlays',
      cwd: project,
      env,
      commands: ENVIRONMENTS.map((e) => [...kubectl, join('bench', 'kustomize', 'overlays', e), '-o', join('kustomize-out', `${e}.yaml`)]),
    },
    // npm runs scripts in the package folder, so this one synthesizes the repository's own env/:
    // dev only (committed fake secrets), into bench/.work/npm-dist.
    npm: { name: 'npm run synth (dev)', cwd: ROOT, env: childEnv({ TASK_API_ENV: 'dev', CDK8S_OUTDIR: join(WORK, 'npm-dist') }), commands: [['npm', 'run', '--silent', 'synth']] },
    cdk8s: { name: 'npx cdk8s synth', cwd: ours, env, commands: [['npx', 'cdk8s', 'synth', '--no-check-upgrade']] },
    cdk8sTsNode: { name: 'npx cdk8s synth, stock ts-node app', cwd: tsNode, env, commands: [['npx', 'cdk8s', 'synth', '--no-check-upgrade']] },
  };
  const fleet = Object.fromEntries(FLEET_SIZES.map((size) => [size, {
    name: `fleet of ${size} services`,
    cwd: fleets[size],
    env: childEnv({ BENCH_USAGE_FILE: usageFile(size) }),
    commands: [[process.execPath, '--require', join(ROOT, 'bench', 'resource-usage.cjs'), fleetProgram]],
  }]));

  // Each contender once, checked: the numbers below are worth nothing if a contender did not do the work.
  log('bench: checking every contender once');
  const synthAgainstKustomize = [contenders.synth, contenders.kustomize, contenders.program, contenders.nodeStart, contenders.npm];
  for (const contender of SYNTH_ONLY ? synthAgainstKustomize : [...Object.values(contenders), ...Object.values(fleet)]) runOnce(contender);
  for (const [dir, label] of [[project, 'synth'], [ours, 'npx cdk8s synth'], [tsNode, 'stock ts-node app']].slice(0, SYNTH_ONLY ? 1 : 3)) {
    const written = filesIn(join(dir, 'dist'));
    if (ENVIRONMENTS.some((e) => !written.includes(e))) throw new Error(`${label} did not write dist/<environment>/ for ${ENVIRONMENTS.join(', ')}`);
  }
  const unlike = ENVIRONMENTS.flatMap((e) => differences(join(project, 'dist', e), readFileSync(join(project, 'kustomize-out', `${e}.yaml`), 'utf8')).map((d) => `${e}: ${d}`));
  if (unlike.length > 0) throw new Error(`bench/kustomize/ does not build what synth writes; make it build the same:\n  ${unlike.join('\n  ')}`);
  for (const size of SYNTH_ONLY ? [] : FLEET_SIZES) {
    for (const e of ENVIRONMENTS) {
      const deployments = filesIn(join(fleets[size], 'dist', e)).filter((f) => f.startsWith('4-deployment-')).length;
      if (deployments !== size) throw new Error(`the fleet of ${size} wrote ${deployments} Deployments for ${e}`);
    }
    rmSync(usageFile(size), { force: true });
  }

  const runs = (normal, quick) => (QUICK ? quick : normal);
  log('bench: npm run synth against kubectl kustomize');
  const small = measure(synthAgainstKustomize, runs({ warmups: 2, runs: 21 }, { warmups: 1, runs: 3 }));
  const m = (results, contender) => results.get(contender.name).median;
  const headline = [
    ['node scripts/synth.cjs (what npm run synth runs) / kustomize', (m(small, contenders.synth) / m(small, contenders.kustomize)).toFixed(2), '≤ 0.70'],
  ];
  if (SYNTH_ONLY) {
    printTable(['contender (dev, staging, production unless noted)', 'median', 'runs'], rowsOf(small));
    console.log('');
    printTable(['ratio', 'value', 'target'], headline);
    return;
  }
  log('bench: npx cdk8s synth against the stock ts-node template');
  const cli = measure([contenders.cdk8s, contenders.cdk8sTsNode], runs({ warmups: 1, runs: 4 }, { warmups: 0, runs: 1 }));
  log('bench: fleets of 10, 100 and 1000 services');
  const scale = measure(FLEET_SIZES.map((size) => fleet[size]), runs({ warmups: 1, runs: 4 }, { warmups: 0, runs: 1 }));
  // Peak memory and CPU time as the fleet programs reported them (timed runs and warm-ups).
  const usage = Object.fromEntries(FLEET_SIZES.map((size) => [size, readFileSync(usageFile(size), 'utf8').trim().split('\n').map((line) => JSON.parse(line))]));
  const peakRss = Object.fromEntries(FLEET_SIZES.map((size) => [size, Math.max(...usage[size].map((u) => u.maxRSS)) / 1024]));
  const cpuSeconds = Object.fromEntries(FLEET_SIZES.map((size) => [size, median(usage[size].map((u) => u.cpu / 1e6))]));

  const medians = {
    synth_command: m(small, contenders.synth),
    kustomize_3_overlays: m(small, contenders.kustomize),
    synth_program: m(small, contenders.program),
    node_start: m(small, contenders.nodeStart),
    npm_run_synth_dev: m(small, contenders.npm),
    cdk8s_synth: m(cli, contenders.cdk8s),
    cdk8s_synth_ts_node: m(cli, contenders.cdk8sTsNode),
    ...Object.fromEntries(FLEET_SIZES.map((size) => [`fleet_${size}`, m(scale, fleet[size])])),
  };
  const ratios = {
    // The headline: the command `npm run synth` runs, its build check included.
    synth_vs_kustomize: medians.synth_command / medians.kustomize_3_overlays,
    cdk8s_ts_node_vs_ours: medians.cdk8s_synth_ts_node / medians.cdk8s_synth,
    scale_1000_vs_100: medians.fleet_1000 / medians.fleet_100,
    // The same in CPU time, which a busy machine disturbs less than elapsed time.
    scale_1000_vs_100_cpu: cpuSeconds[1000] / cpuSeconds[100],
  };
  // Start-up is a constant in every fleet run; the cost per service shows the slope itself.
  const perServiceMs = {
    '10_to_100': ((medians.fleet_100 - medians.fleet_10) / 90) * 1000,
    '100_to_1000': ((medians.fleet_1000 - medians.fleet_100) / 900) * 1000,
  };

  printTable(['contender (dev, staging, production unless noted)', 'median', 'runs'], [small, cli, scale].flatMap(rowsOf));
  console.log('');
  printTable(['ratio', 'value', 'target'], [
    ...headline,
    ['stock ts-node cdk8s synth / ours', `${ratios.cdk8s_ts_node_vs_ours.toFixed(2)}×`, '≥ 2.5×'],
    ['fleet 1000 / fleet 100', ratios.scale_1000_vs_100.toFixed(2), '≤ 11'],
    ['fleet 1000 / fleet 100, CPU time', ratios.scale_1000_vs_100_cpu.toFixed(2), ''],
    ['ms per service, 10→100 | 100→1000', `${perServiceMs['10_to_100'].toFixed(2)} | ${perServiceMs['100_to_1000'].toFixed(2)}`, ''],
    ['peak RSS, fleet 10 | 100 | 1000', FLEET_SIZES.map((size) => `${peakRss[size].toFixed(0)} MB`).join(' | '), ''],
  ]);
  console.log('');
  const round = (value) => Math.round(value * 1000) / 1000;
  const roundAll = (object) => Object.fromEntries(Object.entries(object).map(([k, v]) => [k, round(v)]));
  console.log(JSON.stringify({
    ...roundAll(ratios),
    medians_s: roundAll(medians),
    ms_per_service: roundAll(perServiceMs),
    fleet_cpu_s: Object.fromEntries(FLEET_SIZES.map((size) => [`fleet_${size}`, round(cpuSeconds[size])])),
    peak_rss_mb: Object.fromEntries(FLEET_SIZES.map((size) => [`fleet_${size}`, Math.round(peakRss[size])])),
    runs: { synth_vs_kustomize: small.get(contenders.synth.name).runs, cdk8s: cli.get(contenders.cdk8s.name).runs, fleet: scale.get(fleet[10].name).runs },
    machine: machine(),
  }));
}

function rowsOf(results) {
  return [...results].map(([name, { median: seconds, runs: n }]) => [name, `${seconds.toFixed(3)} s`, String(n)]);
}

function printTable(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ').trimEnd();
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}

function machine() {
  const cpu = /^model name\s*:\s*(.*)$/m.exec(readFileSafe('/proc/cpuinfo'))?.[1] ?? 'unknown';
  const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).stdout ?? '';
  return {
    nproc: availableParallelism(),
    cpu,
    node: process.version,
    kubectl: /Client Version: (\S+)/.exec(kubectl)?.[1] ?? 'unknown',
    kustomize: /Kustomize Version: (\S+)/.exec(kubectl)?.[1] ?? 'unknown',
  };
}

function readFileSafe(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

await main();
