// `npm run synth` and cdk8s.yaml's app. Rebuilds build/ when a source changed (scripts/build.mjs;
// a few milliseconds when nothing did), then runs the synth program in a child process: from the
// startup snapshot when this Node binary built it, otherwise plainly. Both write the same output
// (test/startup-snapshot.test.ts). TASK_API_DEBUG=1 says what was rebuilt and which one ran.
import { BUILD_DIR, ensureBuilt } from './build.mjs';
import snapshot from './startup-snapshot.cjs';

const debug = (line) => {
  if (process.env.TASK_API_DEBUG) console.error(`synth: ${line}`);
};

try {
  await ensureBuilt({ log: debug });
} catch (error) {
  console.error(`synth failed: the synth program did not build: ${error.message.replace(/\s*\n\s*/g, ' ')}`);
  process.exit(1);
}
const result = snapshot.runSynthProgram(BUILD_DIR, {
  args: process.argv.slice(2),
  // Said even without TASK_API_DEBUG: a snapshot that does not load should be rebuilt.
  log: (line) => (line.includes('did not load') ? console.error(`synth: ${line}`) : debug(line)),
});
if (result.signal) process.kill(process.pid, result.signal);
process.exitCode = result.status ?? 1;
