// `npm run plan`: build/bin/plan.js, which runs on load, in one Node process (scripts/launch.cjs).
// A program that cannot build or start exits 2, plan's error code (1 means changes pending).
'use strict';
require('./launch.cjs').launch({ command: 'plan', bundle: 'bin/plan.js', failureCode: 2 });
