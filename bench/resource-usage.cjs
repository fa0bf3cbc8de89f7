// Preloaded into a timed program (`node --require`): when it exits, appends a JSON line with its
// peak resident set size (KiB) and CPU time (user + system, microseconds, all threads: GC
// included) to the file named by BENCH_USAGE_FILE.
'use strict';
const { appendFileSync } = require('fs');

const file = process.env.BENCH_USAGE_FILE;
if (file) {
  process.on('exit', () => {
    const { maxRSS, userCPUTime, systemCPUTime } = process.resourceUsage();
    appendFileSync(file, `${JSON.stringify({ maxRSS, cpu: userCPUTime + systemCPUTime })}\n`);
  });
}
