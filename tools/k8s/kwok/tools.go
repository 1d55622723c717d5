//go:build tools

// Package tools records the kwok command this module builds, so that `go mod tidy` keeps
// its requirements. The build tag keeps it out of every build.
package tools

import _ "sigs.k8s.io/kwok/cmd/kwok"
