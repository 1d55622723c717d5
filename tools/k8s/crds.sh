#!/usr/bin/env bash
# Generates the CustomResourceDefinitions the chart's optional objects need, from the Go API
# types of the projects that own them, with controller-gen (built by tools/k8s/build.sh):
#   monitoring.coreos.com/v1  (ServiceMonitor, PrometheusRule, ...)  prometheus-operator
#   keda.sh/v1alpha1          (ScaledObject, TriggerAuthentication, ...)  KEDA
# The versions are pinned in tools/k8s/crds/go.mod. Output: .tools/k8s/crds/*.yaml, regenerated
# only when the pins change. Usage: tools/k8s/crds.sh [--print-dir]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="$root/.tools/k8s/bin"
out="$root/.tools/k8s/crds"
stamp="$out/.stamp"

packages=(
  github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1
  github.com/kedacore/keda/v2/apis/keda/v1alpha1
)

[ -x "$bin/controller-gen" ] || { echo "k8s-crds: $bin/controller-gen is missing: run make k8s-tools" >&2; exit 1; }
want="$( (cat "$0" "$here/crds/go.mod" "$here/crds/go.sum"; "$bin/controller-gen" --version) | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  [ "${1:-}" = --print-dir ] && echo "$out" || echo "k8s-crds: $out is up to date"
  exit 0
fi

export GOFLAGS="-mod=mod -modcacherw"
rm -rf "$out"
mkdir -p "$out"
start=$SECONDS
paths=()
for p in "${packages[@]}"; do paths+=("paths=$p"); done
# crdVersions=v1 as both projects do. Descriptions are kept (the API server shows them in
# `kubectl explain`); the CRDs are applied server-side, so their size does not matter.
(cd "$here/crds" && nice -n 10 "$bin/controller-gen" crd:crdVersions=v1 "${paths[@]}" "output:crd:dir=$out") >&2
n="$(ls "$out"/*.yaml 2>/dev/null | wc -l)"
[ "$n" -gt 0 ] || { echo "k8s-crds: controller-gen wrote no CRD into $out" >&2; exit 1; }
echo "$want" >"$stamp"
if [ "${1:-}" = --print-dir ]; then echo "$out"; else echo "k8s-crds: $n CRDs in $out ($((SECONDS - start)) s)"; fi
