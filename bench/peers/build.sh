#!/usr/bin/env bash
# Builds the Kafka Streams peer of `make bench-peers` (bench/peers/pom.xml): compiles it
# into target/classes and copies its runtime jars (kafka-streams, kafka-tools for
# ConsumerPerformance, slf4j-simple) into target/libs. Needs Maven Central the first time
# only: a stamp of the pom's and the sources' checksums makes a second call return at once.
#
# Usage: bench/peers/build.sh     (then: java -cp 'bench/peers/target/classes:bench/peers/target/libs/*' …)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here"
command -v mvn >/dev/null 2>&1 || { echo "bench/peers: mvn not found (Debian: apt-get install maven)" >&2; exit 1; }
command -v java >/dev/null 2>&1 || { echo "bench/peers: java 17+ not found (Debian: apt-get install openjdk-17-jdk-headless)" >&2; exit 1; }
want=$(cat pom.xml $(find src -type f | sort) | sha256sum | cut -c1-16)
if [ -f target/.built ] && [ "$(cat target/.built)" = "$want" ] && [ -d target/libs ]; then
  exit 0
fi
echo "bench/peers: building the Kafka Streams peer with Maven (first time: resolves jars from Maven Central)" >&2
# -o after the first resolve would be offline; Maven uses its local repository anyway.
mvn -B -q -Dstyle.color=never compile dependency:copy-dependencies \
  -DincludeScope=runtime -DoutputDirectory="$here/target/libs" 2>&1 | sed 's/\x1b\[[0-9;]*m//g' >&2
[ -f target/classes/kafkastages/peers/StreamsPeer.class ] || { echo "bench/peers: compile produced no StreamsPeer.class" >&2; exit 1; }
echo "$want" > target/.built
