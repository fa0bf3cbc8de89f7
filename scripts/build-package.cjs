// Builds the library that `npm pack` packs, into build/package/ (package.json's main, types and
// exports point there): lib/ compiled by tsc (tsconfig.build.json) to CommonJS with its .d.ts,
// then the schema validators that lib/synth/validate.ts require()s at run time replaced by
// esbuild bundles. Those must be bundles: crd-models.ts re-exports @kubernetes-models packages
// that are ES modules only, which Node 20's require() cannot load, so they are bundled in (and
// are devDependencies); schema-models.ts is bundled for speed (see its comment).
//
// Always from nothing, so a module deleted from lib/ leaves nothing behind in the package. The
// synth program's bundles (scripts/build.cjs) are separate: build.cjs leaves build/package/ alone.
//
// Usage: node scripts/build-package.cjs   (also package.json's prepack, so `npm pack` packs a fresh build)
'use strict';
const { spawnSync } = require('child_process');
const { existsSync, rmSync } = require('fs');
const { join } = require('path');

const { BUNDLE_OPTIONS } = require('./build.cjs');

const ROOT = join(__dirname, '..');
const PACKAGE_DIR = join(ROOT, 'build', 'package');
/** The modules validate.ts loads with require() (lib/synth/validate.ts), relative to lib/. */
const BUNDLED = ['synth/schema-models.ts', 'synth/crd-models.ts'];

async function buildPackage() {
  rmSync(PACKAGE_DIR, { recursive: true, force: true });
  const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (tsc.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed (exit ${tsc.status ?? tsc.signal})`);
  const { build } = require('esbuild');
  for (const module of BUNDLED) {
    const source = join(ROOT, 'lib', module);
    if (!existsSync(source)) throw new Error(`lib/${module} is gone: update BUNDLED in scripts/build-package.cjs to what lib/synth/validate.ts requires`);
    const out = join(PACKAGE_DIR, module.replace(/\.ts$/, ''));
    // Nothing imports these modules' types, and their .d.ts would name the bundled packages.
    rmSync(`${out}.d.ts`, { force: true });
    await build({ ...BUNDLE_OPTIONS, entryPoints: [source], outfile: `${out}.js` });
  }
}

module.exports = { PACKAGE_DIR, buildPackage };

if (require.main === module) {
  buildPackage().catch((error) => {
    console.error(`package build failed: ${error.message}`);
    process.exitCode = 1;
  });
}
