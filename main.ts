import { ENVIRONMENTS, selectEnvironments } from './lib/environments';
import { REGISTRY_TOKEN_VARIABLE } from './lib/config/layers';
import { CDK8S_CLI_SCRATCH, isCdk8sCliScratch, linkForCdk8sCli, outputFolder, recoverInterruptedSwap, writeEnvironment } from './lib/synth/output';
import { EnvironmentBuilder, environmentFiles, synthEnvironments } from './lib/synth/pipeline';
import { failureLines, STANDARD_IO } from './lib/terminal';
import { parseSynthArguments, synthToStdout } from './lib/synth/stdout';
import { helpText, isHelpRequest } from './lib/synth/commands';

/**
 * `npm run synth` and `npx cdk8s synth`: synthesizes the environments in TASK_API_ENV
 * (comma-separated or `all`; default dev) into `$CDK8S_OUTDIR/<environment>/` (default dist),
 * replacing only those folders, and prints a summary. Returns the exit code. `build` replaces
 * what each environment holds besides its Namespace (the default: the Task API).
 */
export function main(
  processEnv: Readonly<Record<string, string | undefined>>,
  log = STANDARD_IO.out,
  fail = STANDARD_IO.err,
  args: readonly string[] = [],
  build?: EnvironmentBuilder,
): number {
  // Before anything is read: help needs no env file, variable or secret.
  if (isHelpRequest(args)) {
    helpText('synth').forEach((line) => log(line));
    return 0;
  }
  try {
    const command = parseSynthArguments(args);
    if (command.stdout) return synthToStdout(command, { processEnv, synthesize: (names, options) => synthEnvironments(names, { ...options, build }), err: fail });
    const names = selectEnvironments(processEnv.TASK_API_ENV, Object.keys(ENVIRONMENTS));
    const outdir = outputFolder(processEnv);
    // cdk8s-cli keeps the app's stdout to itself: the summary goes to stderr there.
    if (isCdk8sCliScratch(processEnv)) log = fail;
    for (const name of names) recoverInterruptedSwap(outdir, name);
    const synthesized = synthEnvironments(names, { envDir: 'env', processEnv, outdir, build });
    for (const warning of new Set(synthesized.flatMap((s) => s.warnings))) fail(`warning: ${warning}`);
    for (const result of synthesized) {
      const { environment, layers, layeredConfigs, pullSecrets, carried, notes } = result;
      const files = environmentFiles(result);
      const folder = writeEnvironment(outdir, environment, files);
      if (isCdk8sCliScratch(processEnv)) linkForCdk8sCli(CDK8S_CLI_SCRATCH, outdir, environment, files);
      // One object per file, each name unique (writeEnvironment refuses otherwise), so the count
      // is the files in the folder; the earlier versions carried forward are named in the notes.
      const kept = carried.length === 0 ? '' : carried.length === 1 ? ' (1 of them an earlier config version kept for rollback)'
        : ` (${carried.length} of them earlier config versions kept for rollback)`;
      log(`${environment}: ${files.length} objects written to ${folder}/${kept}`);
      for (const config of layeredConfigs) {
        log(`  configmap ${config.configMapName}  ${config.configHash()}`);
        log(`  secret    ${config.secretName}  ${config.secretSummary()}`);
      }
      for (const pullSecret of pullSecrets) {
        // Said out loud: dev takes a developer's own GITHUB_TOKEN from the shell when it is set.
        const from = !layers.registry ? 'the secret store'
          : layers.fromProcessEnv.includes(REGISTRY_TOKEN_VARIABLE) ? `$${REGISTRY_TOKEN_VARIABLE}` : `env/${environment}.secrets.env`;
        log(`  pull secret ${pullSecret.secret.name}  token from ${from}${[pullSecret.backendSecret.summary()].filter((s) => s).map((s) => `  ${s}`).join('')}`);
      }
      for (const note of notes) log(`  ${note}`);
    }
    return 0;
  } catch (error) {
    failureLines('synth', error, processEnv).forEach((line) => fail(line));
    return 1;
  }
}

/**
 * The synth program: what `node build/main.js` runs, and what `npm run synth` (scripts/synth.cjs)
 * calls after loading build/main.js.
 */
export function runSynthProgram(): void {
  process.exitCode = main(process.env, console.log, console.error, process.argv.slice(2));
}

if (require.main === module) runSynthProgram();
