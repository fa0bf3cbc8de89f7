// `npm run explain`: the program around lib/explain.ts's main (scripts/build.cjs bundles it).
import { main } from '../lib/review/explain';

process.exitCode = main(process.env, undefined, process.argv.slice(2));
