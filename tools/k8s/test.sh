#!/usr/bin/env bash
# make test-k8s: the chart in a real control plane. Starts the local control plane
# (tools/k8s/cluster.sh) for this run unless one is already up (make k8s-up), installs the
# CRDs generated from the Prometheus Operator's and KEDA's Go types, then runs the jest
# project test/k8s (its global setup starts a local Kafka broker, or uses KAFKA_BROKERS).
# A cluster started here is stopped on exit, and also if this script is killed (the
# supervisor watches this process). Extra arguments go to jest.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
cluster=tools/k8s/cluster.sh
kubectl="$root/.tools/k8s/bin/kubectl"
export KUBECONFIG="${K8S_DIR:-$root/.k8s}/kubeconfig"
start=$SECONDS

if bash "$cluster" status >/dev/null 2>&1; then
  echo "test-k8s: using the running local cluster (make k8s-down stops it)"
else
  trap 'bash "$root/$cluster" down' EXIT
  bash "$cluster" up --watch $$
fi

crds="$(bash tools/k8s/crds.sh --print-dir)"
"$kubectl" apply --server-side --force-conflicts -f "$crds" >/dev/null
"$kubectl" wait --for condition=Established --timeout 60s -f "$crds" >/dev/null
echo "test-k8s: $(ls "$crds"/*.yaml | wc -l) CRDs installed from $crds ($((SECONDS - start)) s since start)"

status=0
bash tools/run-jest.sh --config test/k8s/jest.config.js "$@" || status=$?
echo "test-k8s: done in $((SECONDS - start)) s"
exit $status
