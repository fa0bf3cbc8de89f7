import { registryVariables } from '../config/layers';
import type { Project } from '../project';
import { ALLOW_PLAIN_SECRETS_FLAG, STDOUT_FLAG } from './stdout';

/**
 * The project's commands for `--help`: one table of the variables they read, and per command
 * its usage, options and exit codes. Help is printed before anything is read or built, so it
 * needs no env file, variable or secret.
 */

export type CommandName = 'synth' | 'plan' | 'explain';

/** A variable of the process environment, and which commands read it. */
export interface CommandVariable {
  readonly name: string;
  readonly readBy: readonly CommandName[];
  readonly what: string;
}

const ALL: readonly CommandName[] = ['synth', 'plan', 'explain'];

/**
 * Every variable the commands of `project` read (test/command-help.test.ts checks the sources
 * against it): the project's own, by role, then the ones whose names are fixed.
 */
export function commandVariables(project: Project<any>): CommandVariable[] {
  const v = project.variables;
  return [
    { name: v.environment, readBy: ALL, what: `the environments: names, comma-separated, or all (unset: ${project.defaultEnvironment}); synth --stdout takes exactly one` },
    { name: v.image, readBy: ALL, what: 'the image for this run: a full reference (registry/repository:tag or @sha256:digest), or only :tag or @digest of the environment\'s image' },
    { name: v.secretBackend, readBy: ALL, what: 'plain, sealed or external: overrides the backend the project definition chooses' },
    { name: v.sealingCertificate, readBy: ALL, what: 'the sealing certificate (PEM file) for the sealed backend' },
    {
      name: `the keys of ${project.envDir}/<environment>.secrets.env.example (${[v.hashKey, ...registryVariables(project.synthKeys)].join(', ')}...)`,
      readBy: ALL,
      what: 'fill in the keys the secrets file does not hold (CI); one set for a single environment only',
    },
    { name: 'CDK8S_OUTDIR', readBy: ALL, what: 'the output folder instead of dist (npx cdk8s synth sets it)' },
    { name: v.debug, readBy: ALL, what: 'set: print the stack trace behind an error, and whether build/ was rebuilt' },
    { name: 'GIT_DIR', readBy: ['synth'], what: 'git\'s own: with plain Secrets, set means the output may be in a work tree even where git cannot answer (synth then stops)' },
    { name: 'NO_COLOR', readBy: ['plan', 'explain'], what: 'set: no colour even on a terminal' },
  ];
}

interface CommandHelp {
  readonly usage: string;
  readonly what: string;
  readonly options: readonly (readonly [string, string])[];
  readonly exitCodes: readonly (readonly [number, string])[];
}

/** plan's flag for a run with no secret at all (a pull request's): placeholders, Secrets compared by key names. */
export const NO_SECRETS_FLAG = '--no-secrets';

const HELP = (variable: string): Readonly<Record<CommandName, CommandHelp>> => ({
  synth: {
    usage: `npm run synth [-- ${STDOUT_FLAG} [${ALLOW_PLAIN_SECRETS_FLAG}]]`,
    what: `Writes dist/<environment>/ of each environment in ${variable}, whole and atomically (the others are left alone).`,
    options: [
      [STDOUT_FLAG, 'print one environment\'s manifests as one YAML stream on stdout instead; write no file'],
      [ALLOW_PLAIN_SECRETS_FLAG, `with ${STDOUT_FLAG} and the plain backend: print the Secrets anyway`],
      ['-h, --help', 'print this help and exit 0'],
    ],
    exitCodes: [[0, 'written (or printed)'], [1, 'an error: one message, and the previous output is left as it was']],
  },
  plan: {
    usage: `npm run plan [-- ${NO_SECRETS_FLAG}]`,
    what: `Shows what a fresh synth would change against dist/<environment>/ of each environment in ${variable}; writes nothing.`,
    options: [
      [NO_SECRETS_FLAG, 'read no secret (no secrets file, no secret variable, no hash key): config, workloads and objects in full, Secrets by key names only (what a pull request\'s CI runs)'],
      ['-h, --help', 'print this help and exit 0'],
    ],
    exitCodes: [
      [0, 'no changes'],
      [1, 'changes pending, as kubectl diff: `npm run plan && npm run synth` stops exactly when there is something to synthesize; use `npm run plan; npm run synth`'],
      [2, 'an error'],
    ],
  },
  explain: {
    usage: 'npm run explain',
    what: `Shows every container's environment as the kubelet builds it, for each environment in ${variable}; writes nothing.`,
    options: [['-h, --help', 'print this help and exit 0']],
    exitCodes: [[0, 'shown'], [2, 'an error']],
  },
});

const HELP_FLAGS = ['--help', '-h'];

/** Whether the command line asks for help (wherever the flag is). */
export function isHelpRequest(args: readonly string[]): boolean {
  return args.some((arg) => HELP_FLAGS.includes(arg));
}

/** The lines `<command> --help` prints for `project`. */
export function helpText(command: CommandName, project: Project<any>): string[] {
  const help = HELP(project.variables.environment)[command];
  const variables = commandVariables(project).filter((v) => v.readBy.includes(command));
  return [
    `Usage: ${help.usage}`,
    '',
    help.what,
    '',
    'Options:',
    ...help.options.map(([flag, what]) => `  ${flag}  ${what}`),
    '',
    'Variables:',
    ...variables.map((v) => `  ${v.name}  ${v.what}`),
    '',
    'Exit codes:',
    ...help.exitCodes.map(([code, what]) => `  ${code}  ${what}`),
  ];
}

/** Refuses arguments a command without options does not know (a typo must not pass silently). */
export function refuseArguments(command: CommandName, args: readonly string[]): void {
  if (args.length > 0) throw new Error(`unknown argument ${args.map((arg) => JSON.stringify(arg)).join(', ')}: ${command} takes only --help`);
}
