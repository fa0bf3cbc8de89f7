import { debugRequested, Project, selectedEnvironments } from './project';
import { explainCommand } from './review/explain';
import { planCommand } from './review/plan';
import { CommandName, helpText, isHelpRequest } from './synth/commands';
import { CDK8S_CLI_SCRATCH, isCdk8sCliScratch, linkForCdk8sCli, outputFolder, recoverInterruptedSwap, writeEnvironment } from './synth/output';
import { environmentFiles, synthEnvironments } from './synth/pipeline';
import { parseSynthArguments, synthToStdout } from './synth/stdout';
import { CommandIO, failureLines, STANDARD_IO } from './terminal';

/**
 * The commands of a project, each reading the one project definition: what a consumer's main.ts
 * runs. `synth` writes `$CDK8S_OUTDIR/<environment>/` (default dist) of the environments in the
 * project's environment variable; `plan` and `explain` read the same synthesis and write nothing.
 */

type ProcessEnv = Readonly<Record<string, string | undefined>>;

export const COMMANDS: readonly CommandName[] = ['synth', 'plan', 'explain'];

/**
 * Runs `command` of `project` and returns its exit code (synth: 0 or 1; plan: 0 no changes, 1
 * changes, 2 an error; explain: 0 or 2). Never throws for a user's mistake: one message on `io.err`.
 */
export function runCommand(project: Project<any>, command: string, args: readonly string[] = [], processEnv: ProcessEnv = process.env, io: CommandIO = STANDARD_IO): number {
  switch (command) {
    case 'synth':
      return synthCommand(project, processEnv, io, args);
    case 'plan':
      return planCommand(project, processEnv, io, args);
    case 'explain':
      return explainCommand(project, processEnv, io, args);
    default:
      io.err(`unknown command ${JSON.stringify(command)}: the commands are ${COMMANDS.join(', ')}`);
      return 2;
  }
}

/**
 * The program around a project: `node <main> <command> [arguments]` (no command: synth). Sets
 * the process's exit code.
 */
export function runProgram(project: Project<any>, argv: readonly string[] = process.argv.slice(2)): void {
  const [command, ...args] = argv.length > 0 && !argv[0].startsWith('-') ? argv : ['synth', ...argv];
  process.exitCode = runCommand(project, command, args, process.env, STANDARD_IO);
}

/**
 * `synth`: writes each selected environment whole and atomically, replacing only its folder,
 * and prints a summary (never a value). Returns the exit code.
 */
export function synthCommand(project: Project<any>, processEnv: ProcessEnv, io: CommandIO = STANDARD_IO, args: readonly string[] = []): number {
  let log = io.out;
  // Before anything is read: help needs no env file, variable or secret.
  if (isHelpRequest(args)) {
    helpText('synth', project).forEach((line) => log(line));
    return 0;
  }
  try {
    const command = parseSynthArguments(args);
    if (command.stdout) return synthToStdout(command, { project, processEnv, err: io.err });
    const names = selectedEnvironments(project, processEnv[project.variables.environment]);
    const outdir = outputFolder(processEnv);
    // cdk8s-cli keeps the app's stdout to itself: the summary goes to stderr there.
    if (isCdk8sCliScratch(processEnv)) log = io.err;
    for (const name of names) recoverInterruptedSwap(outdir, name);
    const synthesized = synthEnvironments(project, names, { processEnv, outdir });
    for (const warning of new Set(synthesized.flatMap((s) => s.warnings))) io.err(`warning: ${warning}`);
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
      log(`  image     ${result.image}  from ${result.imageFrom}`);
      for (const config of layeredConfigs) {
        log(`  configmap ${config.configMapName}  ${config.configHash()}`);
        log(`  secret    ${config.secretName}  ${config.secretSummary()}`);
      }
      for (const pullSecret of pullSecrets) {
        // Said out loud: dev takes a developer's own token from the shell when it is set.
        const registry = project.registries.find((r) => r.server === pullSecret.server);
        const from = !registry || !layers.registries[registry.server] ? 'the secret store'
          : layers.fromProcessEnv.includes(registry.password) ? `$${registry.password}` : `${project.envDir}/${environment}.secrets.env`;
        log(`  pull secret ${pullSecret.secret.name}  for ${pullSecret.server}, token from ${from}${[pullSecret.backendSecret.summary()].filter((s) => s).map((s) => `  ${s}`).join('')}`);
      }
      for (const note of notes) log(`  ${note}`);
    }
    return 0;
  } catch (error) {
    failureLines('synth', error, debugRequested(project, processEnv)).forEach((line) => io.err(line));
    return 1;
  }
}
