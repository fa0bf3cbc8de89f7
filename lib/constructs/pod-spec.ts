/**
 * Where the pod spec sits in the manifest of each kind that has one, as a JSON pointer for
 * `ApiObject.addJsonPatch`: what cdk8s-plus 27 cannot express is patched in there, for any
 * workload (a CronJob's pod spec is under its job template).
 */
export const POD_SPEC_POINTERS: ReadonlyMap<string, string> = new Map([
  ['Pod', '/spec'],
  ['Deployment', '/spec/template/spec'],
  ['StatefulSet', '/spec/template/spec'],
  ['DaemonSet', '/spec/template/spec'],
  ['ReplicaSet', '/spec/template/spec'],
  ['Job', '/spec/template/spec'],
  ['CronJob', '/spec/jobTemplate/spec/template/spec'],
]);
