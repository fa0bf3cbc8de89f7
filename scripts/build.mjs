// Compiles main.ts and lib/ to CommonJS in build/ with esbuild: transpile only, a few tens of
// milliseconds, so nothing on the synth path runs the TypeScript compiler. Type checking is
// `npm run typecheck`, part of `npm test`.
import { build } from 'esbuild';
import { readdirSync } from 'fs';

// Bundled with their dependencies into one file each, for load time (see lib/schema-models.ts).
const bundled = ['lib/schema-models.ts'];

const entryPoints = ['main.ts', ...readdirSync('lib').filter((f) => f.endsWith('.ts')).map((f) => `lib/${f}`)];
const options = { outdir: 'build', outbase: '.', platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning' };
await build({ ...options, entryPoints: entryPoints.filter((f) => !bundled.includes(f)) });
await build({ ...options, entryPoints: bundled, bundle: true, minify: true });
