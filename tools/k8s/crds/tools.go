//go:build tools

// Package tools records the API packages controller-gen reads, so that `go mod tidy` keeps
// their requirements. The build tag keeps it out of every build.
package tools

import (
	_ "github.com/kedacore/keda/v2/apis/keda/v1alpha1"
	_ "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
)
