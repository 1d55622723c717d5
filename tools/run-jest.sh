#!/usr/bin/env bash
# Runs jest with the given arguments, then prints one plain closing line
# ("tests: N passed, N failed, N skipped") read from jest's JSON results, so that CI
# logs end with the count whatever reporter is used. Exits with jest's status.
set -uo pipefail
mkdir -p coverage
# Application logs would bury jest's report; LOG_LEVEL=debug brings them back when needed.
export LOG_LEVEL="${LOG_LEVEL:-fatal}"
results=coverage/jest-results.json
rm -f "$results"
jest --json --outputFile="$results" "$@"
status=$?
if [ -f "$results" ]; then
  node -e '
    const r = require(process.argv[1]);
    const skipped = r.numPendingTests + r.numTodoTests;
    console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
    if (r.numTotalTests === 0) { console.error("jest ran no test"); process.exit(1); }
  ' "$(pwd)/$results" || status=1
fi
exit $status
