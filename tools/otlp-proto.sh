#!/usr/bin/env bash
# Brings the official OpenTelemetry protocol definitions (the .proto files of
# opentelemetry-proto, as the OpenTelemetry project publishes them on Maven Central in
# io.opentelemetry.proto:opentelemetry-proto) into DIR, for the test that compares the
# OTLP decoder's own definitions (platform/apps/metrics-transform/parse/otlp-schema.ts)
# with them. Nothing at run time reads these files. Idempotent: a stamp names the version.
#
# Usage: tools/otlp-proto.sh [DIR]      (default .tools/otlp-proto)
set -euo pipefail
version=1.8.0-alpha
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dir=${1:-$here/../.tools/otlp-proto}
stamp=$dir/.resolved
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$version" ]; then exit 0; fi
command -v mvn >/dev/null 2>&1 || { echo "otlp-proto: mvn not found (Debian: apt-get install maven)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mvn -B -q org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
  -Dartifact=io.opentelemetry.proto:opentelemetry-proto:$version:jar \
  -DoutputDirectory="$work" >&2
jar=$work/opentelemetry-proto-$version.jar
[ -f "$jar" ] || { echo "otlp-proto: $jar was not resolved" >&2; exit 1; }
rm -rf "$dir"
mkdir -p "$dir"
# Only the .proto files; python's zipfile, so no unzip binary is needed.
python3 - "$jar" "$dir" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for name in z.namelist():
        if name.endswith('.proto'):
            z.extract(name, sys.argv[2])
PY
echo "$version" >"$stamp"
