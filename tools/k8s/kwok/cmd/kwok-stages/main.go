// Command kwok-stages prints the kwok stages the local control plane runs with, as one
// multi-document YAML for `kwok --config`. They are the defaults embedded in the pinned kwok
// release: nodes become Ready at once and keep a Lease renewed (so the node-lifecycle
// controller never marks them unreachable), pods become Running and Ready as soon as they
// are scheduled, and deleted pods go away without a kubelet.
package main

import (
	"fmt"
	"strings"

	nodefast "sigs.k8s.io/kwok/kustomize/stage/node/fast"
	nodelease "sigs.k8s.io/kwok/kustomize/stage/node/heartbeat-with-lease"
	podfast "sigs.k8s.io/kwok/kustomize/stage/pod/fast"
)

func main() {
	stages := []string{
		nodefast.DefaultNodeInit,
		nodelease.DefaultNodeHeartbeatWithLease,
		podfast.DefaultPodReady,
		podfast.DefaultPodComplete,
		podfast.DefaultPodDelete,
	}
	for i, stage := range stages {
		if i > 0 {
			fmt.Println("---")
		}
		fmt.Println(strings.TrimSpace(stage))
	}
}
