#!/usr/bin/env bash
# Builds the pinned helm from source with `go install` through the Go module proxy and puts
# the binary in DIR. Usage: tools/install-helm.sh VERSION DIR (make helm passes HELM_VERSION
# and .tools/bin). Idempotent: does nothing when DIR/helm already reports VERSION.
#
# `go install pkg@version` alone would give a helm that calls itself "v3.19" and assumes
# Kubernetes 1.20 for `helm template` and the deprecation lint. The release Makefile fixes
# both with -ldflags; we pass the same flags, reading the Kubernetes minor version from the
# k8s.io/client-go requirement in helm's own go.mod, so the binary matches a release build.
set -euo pipefail

version="${1:?usage: install-helm.sh VERSION DIR}"
dir="${2:?usage: install-helm.sh VERSION DIR}"
module=helm.sh/helm/v3

if [ -x "$dir/helm" ]; then
  have="$("$dir/helm" version --template '{{.Version}}' 2>/dev/null || true)"
  if [ "$have" = "$version" ]; then
    echo "install-helm: $dir/helm is already $version"
    exit 0
  fi
  echo "install-helm: $dir/helm reports '${have:-nothing}', want $version: rebuilding"
fi

command -v go >/dev/null 2>&1 || {
  echo "install-helm: needs the Go toolchain (go) on PATH to build helm $version" >&2
  exit 1
}
echo "install-helm: $(go version); GOPROXY=$(go env GOPROXY)"

echo "install-helm: [1/3] downloading $module@$version"
mod_dir="$(go mod download -json "$module@$version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
[ -n "$mod_dir" ] && [ -f "$mod_dir/go.mod" ] || {
  echo "install-helm: go mod download did not give a module directory for $module@$version" >&2
  exit 1
}
client_go="$(awk '$1 == "k8s.io/client-go" { print $2; exit }' "$mod_dir/go.mod")"
k8s_minor="$(echo "$client_go" | sed -n 's/^v0\.\([0-9]*\)\..*/\1/p')"
[ -n "$k8s_minor" ] || {
  echo "install-helm: cannot read the k8s.io/client-go version from $mod_dir/go.mod" >&2
  exit 1
}
echo "install-helm: client-go $client_go, so the default Kubernetes version is 1.$k8s_minor"

ldflags="-w -s"
ldflags+=" -X $module/internal/version.version=$version"
ldflags+=" -X $module/internal/version.gitTreeState=clean"
for pkg in pkg/lint/rules pkg/chartutil; do
  ldflags+=" -X $module/$pkg.k8sVersionMajor=1 -X $module/$pkg.k8sVersionMinor=$k8s_minor"
done

mkdir -p "$dir"
echo "install-helm: [2/3] compiling (several minutes on 2 cores); one dot per 25 packages"
start=$(date +%s)
# -v prints each package path as it is compiled: turn those into dots; anything with a
# space in it (a compiler or download message) is printed as is.
GOBIN="$(cd "$dir" && pwd)" CGO_ENABLED=0 go install -v -trimpath -ldflags "$ldflags" \
  "$module/cmd/helm@$version" 2>&1 |
  awk '{ n++; if (n % 25 == 0) { printf "."; fflush() } } / / { print; fflush() }
       END { printf "\ninstall-helm: %d packages\n", n }'
echo "install-helm: [3/3] built in $(($(date +%s) - start)) s"

have="$("$dir/helm" version --template '{{.Version}}')"
if [ "$have" != "$version" ]; then
  echo "install-helm: built $dir/helm reports '$have', expected $version" >&2
  exit 1
fi
echo "install-helm: $dir/helm $("$dir/helm" version --short)"
