// `npm run plan`: the program around lib/plan.ts's main (scripts/build.cjs bundles it).
import { main } from '../lib/review/plan';
import { STANDARD_IO } from '../lib/terminal';

process.exitCode = main(process.env, STANDARD_IO, process.argv.slice(2));
