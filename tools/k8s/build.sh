#!/usr/bin/env bash
# Builds the local Kubernetes control plane from the Go module proxy into .tools/k8s/bin:
#   etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl  (control-plane/)
#   kwok and kwok-stages (the stage manifests kwok embeds)                  (kwok/)
#   controller-gen, which generates the CRDs from Go API types (crds.sh)
#   local-pki, which writes the cluster's certificates                      (control-plane/)
# The pins are the go.mod files next to this script (k8s.io/kubernetes, the etcd server,
# sigs.k8s.io/kwok) and CONTROLLER_TOOLS_VERSION below. A stamp file holds a hash of those
# pins and of the Go sources here; nothing is rebuilt while it matches. Usage: tools/k8s/build.sh (make k8s-tools).
#
# Cold, on 2 busy cores, this takes several minutes (kube-apiserver alone is ~5); it runs
# under `nice` so it does not starve whatever else runs. The module and build caches are Go's
# own (go env GOMODCACHE, GOCACHE), as for helm: outside the project, so that jest and Biome
# never crawl them; set GOMODCACHE and GOCACHE to put them elsewhere.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="$root/.tools/k8s/bin"
stamp="$bin/.stamp"

CONTROLLER_TOOLS_VERSION=v0.23.0
# Raise when the way the programs are built changes (flags, programs), to force a rebuild.
RECIPE=1
programs=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl local-pki kwok kwok-stages controller-gen)

inputs_hash() {
  (
    cd "$here"
    echo "controller-tools $CONTROLLER_TOOLS_VERSION recipe $RECIPE ${programs[*]}"
    find control-plane kwok -type f \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' \) | sort | xargs cat
  ) | sha256sum | cut -d' ' -f1
}

want="$(inputs_hash)"
complete=yes
for p in "${programs[@]}"; do [ -x "$bin/$p" ] || complete=no; done
if [ "$complete" = yes ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "k8s-tools: .tools/k8s/bin is up to date ($(cd "$here/control-plane" && awk '$1 == "k8s.io/kubernetes" { print $1 " " $2 }' go.mod))"
  exit 0
fi

command -v go >/dev/null 2>&1 || {
  echo "k8s-tools: the Go toolchain (go) is not on PATH; it builds the local control plane" >&2
  echo "k8s-tools: install Go 1.26 or newer (https://go.dev/doc/install, or your distribution's golang package)" >&2
  exit 1
}
go_minor="$(go env GOVERSION | sed -n 's/^go1\.\([0-9]*\).*/\1/p')"
if [ -n "$go_minor" ] && [ "$go_minor" -lt 26 ] && [ "$(go env GOTOOLCHAIN)" = local ]; then
  echo "k8s-tools: $(go env GOVERSION) is too old: Kubernetes v1.37 needs Go 1.26 (or GOTOOLCHAIN=auto)" >&2
  exit 1
fi

# -mod=mod: the go.sum files are checked in but may be completed; -modcacherw: the module
# cache can be removed with rm -rf.
export GOFLAGS="-mod=mod -modcacherw"
export CGO_ENABLED=0
mkdir -p "$bin"
rm -f "$stamp"
echo "k8s-tools: $(go version); GOPROXY=$(go env GOPROXY); GOMODCACHE=$(go env GOMODCACHE)"

kube_version="$(cd "$here/control-plane" && awk '$1 == "k8s.io/kubernetes" { print $2; exit }' go.mod)"
kube_minor="$(echo "$kube_version" | sed -n 's/^v1\.\([0-9]*\)\..*/\1/p')"
[ -n "$kube_minor" ] || { echo "k8s-tools: cannot read k8s.io/kubernetes's version from control-plane/go.mod" >&2; exit 1; }
# What Kubernetes' own build sets (hack/lib/version.sh): without it the binaries report
# v0.0.0 and charts with a kubeVersion constraint refuse to install.
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$kube_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$kube_minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

step() {
  local name="$1"
  shift
  local start=$SECONDS
  echo "k8s-tools: building $name"
  "$@"
  echo "k8s-tools: $name built in $((SECONDS - start)) s"
}

step "etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl $kube_version" \
  bash -c 'cd "$1/control-plane" && nice -n 10 go build -trimpath -ldflags "$2" -o "$3/" \
    go.etcd.io/etcd/server/v3 k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler \
    k8s.io/kubernetes/cmd/kubectl ./cmd/local-pki' _ "$here" "$ldflags" "$bin"
# go build names a module-root main package after its path without the major version suffix.
mv -f "$bin/server" "$bin/etcd"

step "kwok $(cd "$here/kwok" && awk '$1 == "require" && $2 == "sigs.k8s.io/kwok" { print $3 }' go.mod)" \
  bash -c 'cd "$1/kwok" && nice -n 10 go build -trimpath -ldflags "-s -w" -o "$2/" \
    sigs.k8s.io/kwok/cmd/kwok ./cmd/kwok-stages' _ "$here" "$bin"

step "controller-gen $CONTROLLER_TOOLS_VERSION" \
  env GOBIN="$bin" GOFLAGS=-modcacherw nice -n 10 go install -trimpath -ldflags "-s -w" \
  "sigs.k8s.io/controller-tools/cmd/controller-gen@$CONTROLLER_TOOLS_VERSION"

for p in "${programs[@]}"; do
  [ -x "$bin/$p" ] || { echo "k8s-tools: $bin/$p is missing after the build" >&2; exit 1; }
done
have="$("$bin/kube-apiserver" --version)"
[ "$have" = "Kubernetes $kube_version" ] || {
  echo "k8s-tools: kube-apiserver reports '$have', expected 'Kubernetes $kube_version'" >&2
  exit 1
}
echo "$want" >"$stamp"
echo "k8s-tools: $have, $("$bin/etcd" --version | head -1), kwok $("$bin/kwok" --version 2>&1 | head -1)"
