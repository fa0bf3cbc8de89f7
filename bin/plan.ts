// `npm run plan`: the program around lib/plan.ts's main (scripts/build.cjs bundles it).
import { main } from '../lib/review/plan';

process.exitCode = main(process.env, undefined, process.argv.slice(2));
