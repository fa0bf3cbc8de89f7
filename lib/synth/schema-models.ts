// The kubernetes-models classes synth validates against, one per kind it writes. Kept to these
// few (the package has hundreds) and bundled into one file by scripts/build.cjs: unbundled, their
// precompiled validators are ~190 small modules that take ~135 ms to load; bundled, ~55 ms.
// kubernetes-models stays on 4.5.x: 5.x is ESM-only and needs Node 22. The CRD models are in
// lib/crd-models.ts.
export { Namespace } from 'kubernetes-models/v1/Namespace';
export { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
export { Secret } from 'kubernetes-models/v1/Secret';
export { Service } from 'kubernetes-models/v1/Service';
export { Deployment } from 'kubernetes-models/apps/v1/Deployment';
export { Job } from 'kubernetes-models/batch/v1/Job';
export { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
