// Package kubernetes holds example Kubernetes manifests for running N
// gateway replicas (see README.md) and, in its test, the checks that keep
// them consistent with each other, with the Dockerfile and with the flags
// of frontdoor serve. It has no code of its own.
package kubernetes
