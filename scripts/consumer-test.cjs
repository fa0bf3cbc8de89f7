// Prototype of the consumer test (issue 17, "The proof"): the library as a platform team gets it.
// `npm pack` (prepack builds build/package/ afresh), a fresh folder outside the repository with
// its own package.json that installs the tarball, the peers, typescript and @types/node from the
// npm registry (the npm cache first), a small TypeScript app compiled by that tsc against the
// packed .d.ts (no skipLibCheck), then run by plain Node. Prints each step's time.
//
// The app uses today's public API (lib/index.ts): the lead's rewrite replaces APP_TS and checks
// the output field by field (a web Deployment, a worker, a CronJob, two registries).
//
// Usage: node scripts/consumer-test.cjs [--keep]   (--keep leaves the folder and prints it)
'use strict';
const { execFileSync } = require('child_process');
const { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } = require('fs');
const { tmpdir } = require('os');
const { join } = require('path');

const ROOT = join(__dirname, '..');
const PACKAGE_JSON = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

const APP_TS = `import { synthEnvironments, TaskApiApp, taskApiProps } from '${PACKAGE_JSON.name}';

const [dev] = synthEnvironments(['dev'], {
  envDir: 'env',
  processEnv: {},
  build: (chart, context) => {
    new TaskApiApp(chart, 'App', taskApiProps(context));
  },
});
console.log(JSON.stringify(dev.objects.map((object: any) => \`\${object.kind}/\${object.metadata.name}\`)));
`;

const TSCONFIG = {
  compilerOptions: { target: 'ES2022', module: 'node16', moduleResolution: 'node16', strict: true, types: ['node'], outDir: 'out' },
  include: ['app.ts'],
};

function step(name, run) {
  const started = Date.now();
  const result = run();
  console.error(`${name}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

function run(command, args, cwd) {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

function main() {
  const keep = process.argv.includes('--keep');
  const folder = mkdtempSync(join(tmpdir(), 'consumer-'));
  try {
    const [pack] = step('npm pack (with prepack)', () => JSON.parse(run('npm', ['pack', '--json', '--pack-destination', folder], ROOT)));
    writeFileSync(join(folder, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }, null, 2));
    const peers = Object.entries(PACKAGE_JSON.peerDependencies).map(([name, range]) => `${name}@${range}`);
    const tools = ['typescript', '@types/node'].map((name) => `${name}@${PACKAGE_JSON.devDependencies[name]}`);
    step('npm install (tarball, peers, typescript)', () =>
      run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', `./${pack.filename}`, ...peers, ...tools], folder));
    mkdirSync(join(folder, 'env'));
    for (const file of ['defaults.env', 'dev.env', 'dev.secrets.env', 'dev.secrets.env.example']) copyFileSync(join(ROOT, 'env', file), join(folder, 'env', file));
    writeFileSync(join(folder, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
    writeFileSync(join(folder, 'app.ts'), APP_TS);
    step('tsc', () => run(process.execPath, [join(folder, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], folder));
    const objects = step('node out/app.js', () => JSON.parse(run(process.execPath, ['out/app.js'], folder)));
    console.log(objects.join('\n'));
    if (!objects.some((object) => object.startsWith('Deployment/'))) throw new Error('the consumer synthesized no Deployment');
  } finally {
    if (keep) console.error(`kept ${folder}`);
    else rmSync(folder, { recursive: true, force: true });
  }
}

try {
  main();
} catch (error) {
  // A failed command's stdout (tsc's errors) is in the error, not on the terminal.
  console.error(`consumer test failed: ${error.message.split('\n')[0]}${error.stdout ? `\n${error.stdout}` : ''}`);
  process.exitCode = 1;
}
