// `npm run explain`: build/bin/explain.js, which runs on load, in one Node process
// (scripts/launch.cjs). A program that cannot build or start exits 2, explain's error code.
'use strict';
require('./launch.cjs').launch({ command: 'explain', bundle: 'bin/explain.js', failureCode: 2 });
