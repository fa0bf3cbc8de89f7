// The library's public API: what a consumer's main.ts imports (package.json's `exports` points
// here). Everything else under lib/ is internal and may change without notice.

// The project definition, and the program that runs its commands.
export { defineProject, EnvironmentBuilder, EnvironmentContext, Project, ProjectDefinition, ProjectVariables, RegistryAccess, RegistryCredentialVariables } from './project';
export { EnvironmentSettings } from './environments';
export { runCommand, runProgram } from './cli';

// Constructs.
export { TaskApiApp, TaskApiAppProps } from './constructs/task-api-app';
export { CONFIG_HASH_ANNOTATION, LayeredConfig, LayeredConfigProps } from './constructs/layered-config';
export { RegistryPullSecret, RegistryPullSecretProps } from './constructs/registry-pull-secret';
export {
  applyRestrictedPodSecurity, ContainerSecurityOverrides, PodSecurityLevel, PodSecurityOverrides, PodSecurityRelaxation, RestrictedPodSecurityOptions,
} from './constructs/pod-security';
export { nameJobAfterContent } from './constructs/content-named-job';

// Secret backends (the pipeline chooses one per environment; these are for tests and Testing.synth).
export { SECRET_HASH_ANNOTATION, SecretBackend, SecretBackendName } from './secrets/backend';
export { PlainSecretBackend, PlainSecretBackendProps } from './secrets/plain';
export { SealedSecretBackend, SealedSecretBackendProps } from './secrets/sealed';
export { parseSealingCertificate, SealingCertificate } from './secrets/sealing';
export { ExternalSecretBackend, ExternalSecretBackendProps, RELOADER_SECRETS_ANNOTATION, RemoteRef, SecretStoreRef } from './secrets/external';

// What the builder receives, and the pipeline for tests of a project.
export { GuardRailExceptions } from './config/guard-rails';
export { describeSetting, SettingDeclaration, SettingsSchema } from './config/settings';
export { ResolvedLayers, ResolvedValue, Source, valuesOf } from './config/layers';
export { environmentFiles, synthEnvironments, SynthesizedEnvironment, SynthOptions } from './synth/pipeline';
export { customResourceSchema, CustomResourceSchema, schemasFromCrd, schemasFromCrdYaml } from './config/custom-resource-schema';
export { imageFromVariable, isDigestReference, parseImageReference } from './config/image-reference';
