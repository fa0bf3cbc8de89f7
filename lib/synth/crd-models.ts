// The models of the CRDs the sealed and external secret backends write. Both packages are ES
// modules only, which require() cannot load on Node 20: the build bundles this file into CommonJS
// (build/lib/crd-models.js, what the synth program and the tests use), and validate.ts loads it
// only when there is such an object, so the plain backend also runs unbundled (ts-node).
export { SealedSecret } from '@kubernetes-models/sealed-secrets/bitnami.com/v1alpha1/SealedSecret';
export { ExternalSecret } from '@kubernetes-models/external-secrets/external-secrets.io/v1/ExternalSecret';
