// `npm run plan`: the plan command of the project main.ts defines (build/main.js), in one Node
// process (scripts/launch.cjs). A program that cannot build or start exits 2, plan's error code
// (1 means changes pending).
'use strict';
require('./launch.cjs').launch({ command: 'plan', bundle: 'main.js', failureCode: 2, run: (program) => program.runTaskApiProgram(['plan', ...process.argv.slice(2)]) });
