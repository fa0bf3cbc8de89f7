// The kubernetes-models classes of the kinds synth writes most, bundled into one file by
// scripts/build.cjs: unbundled, their precompiled validators are ~190 small modules that take
// ~135 ms to load; bundled, ~20 ms. Every other built-in kind loads from kubernetes-models on
// demand (lib/synth/builtin-models.ts), so this list is only about speed: the workload kinds
// share the pod template's validators with Deployment and add about 1 ms together. Each model is
// keyed by its own apiVersion and kind: adding one here is all it takes. The CRD models are in
// lib/synth/crd-models.ts.
export { Namespace } from 'kubernetes-models/v1/Namespace';
export { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
export { Secret } from 'kubernetes-models/v1/Secret';
export { Service } from 'kubernetes-models/v1/Service';
export { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
export { Deployment } from 'kubernetes-models/apps/v1/Deployment';
export { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
export { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
export { Job } from 'kubernetes-models/batch/v1/Job';
export { CronJob } from 'kubernetes-models/batch/v1/CronJob';
export { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
