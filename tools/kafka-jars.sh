#!/usr/bin/env bash
# Resolves the Apache Kafka broker (org.apache.kafka:kafka_2.13:VERSION), its runtime
# dependencies and an slf4j binding from Maven Central into DIR/libs, using
# tools/kafka/pom.xml. The local broker launcher (platform/kafka/local-broker/) runs
# `java -cp 'DIR/libs/*' kafka.Kafka`. Idempotent: a stamp file records what was resolved,
# so a second call returns at once.
#
# Usage: tools/kafka-jars.sh VERSION DIR      (make kafka-jars [KAFKA_VERSION=4.1.1])
set -euo pipefail

fail() {
  echo "kafka-jars: $*" >&2
  exit 1
}

[ $# -eq 2 ] || fail "usage: tools/kafka-jars.sh VERSION DIR (e.g. 3.9.1 .tools/kafka-3.9.1)"
version=$1
dir=$2
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] ||
  fail "version '$version' is not a Kafka release number like 3.9.1 or 4.1.1 (set KAFKA_VERSION)"

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
pom=$here/kafka/pom.xml
stamp=$dir/.resolved
# The stamp names the version and the pom's checksum: editing the pom re-resolves.
want="kafka_2.13:$version pom:$(sha256sum "$pom" | cut -c1-16)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -d "$dir/libs" ]; then
  exit 0
fi

# Java: the broker needs 17+ (Kafka 4 requires it; 3.9 deprecates older ones).
java_bin=java
[ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && java_bin=$JAVA_HOME/bin/java
command -v "$java_bin" >/dev/null 2>&1 ||
  fail "java not found: install a JDK 17 or newer (Debian: apt-get install openjdk-17-jdk-headless), or set KAFKA_BROKERS to use an existing cluster"
java_major=$("$java_bin" -version 2>&1 | sed -n 's/.*version "\([0-9]*\)\.*\([0-9]*\).*/\1 \2/p' | head -n 1)
read -r major minor <<<"$java_major"
[ "${major:-0}" = 1 ] && major=${minor:-0}
[ "${major:-0}" -ge 17 ] 2>/dev/null ||
  fail "java ${major:-?} found at $(command -v "$java_bin"), but Kafka needs Java 17 or newer: install openjdk-17-jdk-headless (or newer) and put it first on PATH or in JAVA_HOME"
command -v mvn >/dev/null 2>&1 ||
  fail "mvn not found: install Maven 3.8+ (Debian: apt-get install maven) to resolve Kafka's jars from Maven Central, or set KAFKA_BROKERS to use an existing cluster"

echo "kafka-jars: resolving Kafka $version from Maven Central into $dir/libs (first time only; takes a minute or two)" >&2
mkdir -p "$dir"
tmp=$(mktemp -d "$dir/libs.partial.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# Maven 3.8 prints colour resets even in batch mode; strip them from what it says.
if ! mvn -B -q -Dstyle.color=never -f "$pom" dependency:copy-dependencies \
  -Dkafka.version="$version" -DincludeScope=runtime -DoutputDirectory="$tmp" 2>&1 |
  sed 's/\x1b\[[0-9;]*m//g' >&2; then
  fail "Maven could not resolve org.apache.kafka:kafka_2.13:$version (see the output above): check that the version exists on Maven Central and that the network reaches it"
fi
ls "$tmp"/kafka_2.13-"$version".jar >/dev/null 2>&1 ||
  fail "Maven finished but kafka_2.13-$version.jar is not in $tmp: the pom at $pom is broken"

# Swap in the complete set only, so an interrupted run never leaves a half-filled libs/.
rm -rf "$dir/libs"
mv "$tmp" "$dir/libs"
trap - EXIT
echo "$want" >"$stamp"
echo "kafka-jars: $(ls "$dir/libs" | wc -l) jars for Kafka $version in $dir/libs" >&2
