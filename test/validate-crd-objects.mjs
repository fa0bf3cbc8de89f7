// Validates custom resources (a JSON array on stdin) against the CRDs' OpenAPI schemas, as
// packaged by @kubernetes-models: SealedSecret and ExternalSecret (the secret backends), Argo CD's
// Application and Flux's GitRepository and Kustomization (deploy/). Those packages are ES modules
// only, which jest's CommonJS runtime cannot load, so tests run this script in a node process of
// its own. Prints one line per invalid object and exits 1 if there is any; other kinds are skipped.
import { Application } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application';
import { ExternalSecret } from '@kubernetes-models/external-secrets/external-secrets.io/v1/ExternalSecret';
import { Kustomization } from '@kubernetes-models/flux-cd/kustomize.toolkit.fluxcd.io/v1/Kustomization';
import { GitRepository } from '@kubernetes-models/flux-cd/source.toolkit.fluxcd.io/v1/GitRepository';
import { SealedSecret } from '@kubernetes-models/sealed-secrets/bitnami.com/v1alpha1/SealedSecret';

const MODELS = {
  'bitnami.com/v1alpha1/SealedSecret': SealedSecret,
  'external-secrets.io/v1/ExternalSecret': ExternalSecret,
  'argoproj.io/v1alpha1/Application': Application,
  'source.toolkit.fluxcd.io/v1/GitRepository': GitRepository,
  'kustomize.toolkit.fluxcd.io/v1/Kustomization': Kustomization,
};

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const objects = JSON.parse(Buffer.concat(chunks).toString('utf8'));
let invalid = 0;
let validated = 0;
for (const object of objects) {
  const Model = MODELS[`${object.apiVersion}/${object.kind}`];
  if (!Model) continue;
  try {
    new Model(object).validate();
    validated++;
  } catch (error) {
    invalid++;
    console.log(`${object.kind}/${object.metadata?.name}: ${error.message}`);
  }
}
console.log(`validated ${validated}, invalid ${invalid}`);
process.exitCode = invalid > 0 ? 1 : 0;
