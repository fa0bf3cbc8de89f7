// Preloaded into a timed program (`node --require`): when it exits, appends its peak resident set
// size in KiB (process.resourceUsage().maxRSS) to the file named by BENCH_PEAK_RSS_FILE.
'use strict';
const { appendFileSync } = require('fs');

const file = process.env.BENCH_PEAK_RSS_FILE;
if (file) process.on('exit', () => appendFileSync(file, `${process.resourceUsage().maxRSS}\n`));
