// `npm run synth` and cdk8s.yaml's app: the synth command of the project main.ts defines
// (build/main.js), in one Node process (scripts/launch.cjs). A program that cannot build or
// start exits 1, like any synth failure.
'use strict';
require('./launch.cjs').launch({ command: 'synth', bundle: 'main.js', failureCode: 1, run: (program) => program.runTaskApiProgram(['synth', ...process.argv.slice(2)]) });
