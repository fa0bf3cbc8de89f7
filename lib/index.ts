// The public API a platform team imports: the constructs, the secret backends, the pipeline and
// the types they take. Everything else under lib/ is internal.
export * from './constructs/task-api-app';
export * from './constructs/layered-config';
export * from './constructs/registry-pull-secret';
export * from './constructs/pod-security';
export * from './constructs/content-named-job';
export * from './secrets/backend';
export { PlainSecretBackend, PlainSecretBackendProps } from './secrets/plain';
export { SealedSecretBackend, SealedSecretBackendProps } from './secrets/sealed';
export { parseSealingCertificate, SealingCertificate } from './secrets/sealing';
export { ExternalSecretBackend, ExternalSecretBackendProps, RemoteRef, SecretStoreRef, RELOADER_SECRETS_ANNOTATION } from './secrets/external';
export { buildTaskApi, EnvironmentBuilder, EnvironmentContext, synthEnvironments, SynthesizedEnvironment, SynthOptions, taskApiProps } from './synth/pipeline';
export { manifestFiles, writeEnvironment } from './synth/output';
export { withoutNoise } from './synth/noise';
export { ResolvedLayers, ResolvedValue, Source } from './config/layers';
export { EnvironmentSettings, ENVIRONMENTS, selectEnvironments } from './environments';
export { CONFIG_HISTORY_ANNOTATION, ObjectRef, OutputFile, readOutputFiles, RETAINED_BYTES_LIMIT, retainVersions } from './synth/retention';
export { applySetName, pruneCommand } from './synth/applyset';
