// `npm run explain`: the explain command of the project main.ts defines (build/main.js), in one
// Node process (scripts/launch.cjs). A program that cannot build or start exits 2, explain's
// error code.
'use strict';
require('./launch.cjs').launch({ command: 'explain', bundle: 'main.js', failureCode: 2, run: (program) => program.runTaskApiProgram(['explain', ...process.argv.slice(2)]) });
