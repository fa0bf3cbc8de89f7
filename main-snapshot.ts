// The entry of the synth program's Node startup snapshot (scripts/build.mjs builds it into
// build/synth.blob). Building the snapshot runs this file once: every module is loaded and the
// synth path is exercised once on made-up values, and the resulting heap is saved. A run started
// from the snapshot skips loading, compiling and initializing cdk8s and cdk8s-plus (most of a
// plain run's time) and goes straight to runSynthProgram, the same function `node build/main.js`
// runs.
//
// Nothing here may read the environment, the working folder or any file: that would be frozen
// into the snapshot. main.ts reads them in runSynthProgram, which runs after deserialization.
import { startupSnapshot } from 'v8';
import { App, Chart } from 'cdk8s';
import { runSynthProgram } from './main';
import { ENVIRONMENTS } from './lib/environments';
import { ResolvedValue } from './lib/config/layers';
import { buildTaskApi } from './lib/synth/pipeline';
import { PlainSecretBackend } from './lib/secrets/plain';
import { manifestFiles } from './lib/synth/output';
import { validateObjects } from './lib/synth/validate';

/** Builds and renders every environment once, on fake values, and discards the result. */
function warmUp(): void {
  const fake = (key: string): ResolvedValue => ({ key, value: `fake-${key.toLowerCase()}`, source: { layer: 'defaults', at: 'warm-up' }, overrides: [] });
  for (const [environment, settings] of Object.entries(ENVIRONMENTS)) {
    const chart = new Chart(new App(), environment);
    const layers = {
      environment,
      config: ['LOG_LEVEL', 'MAX_CONNECTIONS'].map(fake),
      secrets: ['DATABASE_PASSWORD'].map(fake),
      hashKey: 'fake-hash-key',
      registry: { username: 'fake-user', password: 'fake-password' },
      fromProcessEnv: [],
      warnings: [],
    };
    buildTaskApi(chart, { environment, settings, layers, secretBackend: new PlainSecretBackend({ hashKey: layers.hashKey }) });
    const objects = chart.toJson();
    validateObjects(objects);
    manifestFiles(objects);
  }
}

warmUp();
startupSnapshot.setDeserializeMainFunction(runSynthProgram);
