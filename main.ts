import { ENVIRONMENTS, selectEnvironments } from './lib/environments';
import { REGISTRY_TOKEN_VARIABLE } from './lib/config/layers';
import { manifestFiles, outputFolder, recoverInterruptedSwap, writeEnvironment } from './lib/synth/output';
import { synthEnvironments } from './lib/synth/pipeline';
import { failureLines } from './lib/terminal';
import { pruneCommand } from './lib/synth/applyset';
import { ObjectRef, OutputFile } from './lib/synth/retention';

/**
 * `npm run synth` and `npx cdk8s synth`: synthesizes the environments in TASK_API_ENV
 * (comma-separated or `all`; default dev) into `$CDK8S_OUTDIR/<environment>/` (default dist),
 * replacing only those folders, and prints a summary. Returns the exit code.
 */
export function main(processEnv: Readonly<Record<string, string | undefined>>, log = console.log, fail = console.error): number {
  try {
    const names = selectEnvironments(processEnv.TASK_API_ENV, Object.keys(ENVIRONMENTS));
    const outdir = outputFolder(processEnv);
    for (const name of names) recoverInterruptedSwap(outdir, name);
    const synthesized = synthEnvironments(names, { envDir: 'env', processEnv, outdir });
    for (const warning of new Set(synthesized.flatMap((s) => s.warnings))) fail(`warning: ${warning}`);
    for (const { environment, objects, layers, layeredConfigs, pullSecrets, carried, prunable, previousOutput } of synthesized) {
      const folder = writeEnvironment(outdir, environment, [...manifestFiles(objects), ...carried]);
      log(`${environment}: ${objects.length} objects written to ${folder}/`);
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
      for (const line of retentionSummary(folder, objects, carried, prunable, previousOutput)) log(`  ${line}`);
    }
    return 0;
  } catch (error) {
    failureLines('synth', error, processEnv).forEach((line) => fail(line));
    return 1;
  }
}

/** What synth says about earlier config versions and pruning (names only, never values). */
export function retentionSummary(folder: string, objects: readonly any[], carried: readonly OutputFile[], prunable: readonly ObjectRef[], previousOutput: boolean): string[] {
  if (!previousOutput) {
    return [`no previous output in ${folder}/: no earlier config versions carried forward, so \`kubectl rollout undo\` to a ` +
      'revision applied before this one will find no ConfigMap or Secret, and nothing can be listed for pruning ' +
      '(keep the folder between runs: a CI artifact or cache)'];
  }
  const lines: string[] = [];
  const kept = carried.flatMap((file) => file.objects).map((o) => `${o.kind} ${o.metadata?.name}`);
  if (kept.length > 0) lines.push(`kept for rollback: ${kept.join(', ')}`);
  if (prunable.length > 0) {
    const namespace = objects.find((o) => o.kind === 'Namespace')?.metadata?.name ?? '<namespace>';
    lines.push(`no longer in the output (npm run plan lists them; kubectl apply leaves them in the cluster): ` +
      `${prunable.map((ref) => `${ref.kind} ${ref.name}`).join(', ')}; prune with: ${pruneCommand(namespace, folder)}`);
  }
  return lines;
}

/**
 * The synth program: what `node build/main.js` runs, and what the startup snapshot
 * (main-snapshot.ts) runs when it is deserialized.
 */
export function runSynthProgram(): void {
  process.exitCode = main(process.env);
}

if (require.main === module) runSynthProgram();
