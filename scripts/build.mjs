// Compiles main.ts and lib/ to CommonJS in build/ with esbuild: transpile only, a few tens of
// milliseconds, so nothing on the synth path runs the TypeScript compiler. Type checking is
// `npm run typecheck`, part of `npm test`.
import { build } from 'esbuild';
import { readdirSync } from 'fs';

const entryPoints = ['main.ts', ...readdirSync('lib').filter((f) => f.endsWith('.ts')).map((f) => `lib/${f}`)];
await build({
  entryPoints,
  outdir: 'build',
  outbase: '.',
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  logLevel: 'warning',
});
