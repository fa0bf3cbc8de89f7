// Pins the External Secrets Operator module whose CRDs `npm run cluster` installs (config/crds/bases),
// so that the API server validates ExternalSecret objects. Nothing is built from it: its controller is
// left out (docs/cluster.md says why). Downloaded with `go mod download`, checked against go.sum.
module task-api-k8s/cluster/external-secrets

go 1.24.0

require github.com/external-secrets/external-secrets v0.16.2
