#!/usr/bin/env bash
# Runs jest with the given arguments, then prints one plain closing line
# ("tests: N passed, N failed, N skipped") read from jest's JSON results, so that CI
# logs end with the count whatever reporter is used. Exits with jest's status.
#
# A hang fails the run instead of waiting for CI's limit. Jest runs in its own process
# group under a watchdog that reads the progress log of tools/jest-progress-reporter.js:
#   - one test file running longer than JEST_FILE_LIMIT_S (default 900 s; a Kafka test
#     times out after 180 s, so only a hang gets there),
#   - the whole run longer than JEST_RUN_LIMIT_S (default 5400 s),
#   - jest still alive JEST_EXIT_LIMIT_S (default 120 s) after the run completed (the
#     reporter's own exit guard fires first, at JEST_EXIT_GRACE_S, default 60 s),
# print the test files (and the test case) that had not finished, kill jest's process
# group and exit 124.
set -uo pipefail
mkdir -p coverage
# Application logs would bury jest's report; LOG_LEVEL=debug brings them back when needed.
export LOG_LEVEL="${LOG_LEVEL:-fatal}"
# Per run: several jest runs may share this work tree.
results=coverage/jest-results.$$.json
export JEST_PROGRESS_FILE="${JEST_PROGRESS_FILE:-$(pwd)/coverage/jest-progress.$$.log}"
file_limit="${JEST_FILE_LIMIT_S:-900}"
run_limit="${JEST_RUN_LIMIT_S:-5400}"
exit_limit="${JEST_EXIT_LIMIT_S:-120}"
rm -f "$results" "$JEST_PROGRESS_FILE"

# Files started and not ended: "<seconds running> <file> (last test started: ...)", with
# awk (cheap: the watchdog polls while other jest runs share the machine).
unfinished() {
  [ -f "$JEST_PROGRESS_FILE" ] || return 0
  awk -v now="$(date +%s)" '
    $3 == "file-start" { start[$4] = $1; test[$4] = "" }
    $3 == "file-end" { delete start[$4]; delete test[$4] }
    $3 == "case-start" && ($4 in start) { t = $0; sub(/^.* :: /, "", t); test[$4] = t }
    END {
      for (f in start) {
        line = int(now - start[f] / 1000) " " f
        if (test[f] != "") line = line " (last test started: \"" test[f] "\")"
        print line
      }
    }' "$JEST_PROGRESS_FILE"
}

# Jest in a process group of its own (job control on), so the watchdog can stop all of it.
set -m
jest --json --outputFile="$results" "$@" &
jest_pid=$!
set +m
trap 'kill -TERM -- -$jest_pid 2>/dev/null; exit 130' INT TERM

started=$SECONDS
completed_at=
reason=
while kill -0 "$jest_pid" 2>/dev/null; do
  sleep 5
  kill -0 "$jest_pid" 2>/dev/null || break
  if [ -z "$completed_at" ] && grep -q ' run-complete$' "$JEST_PROGRESS_FILE" 2>/dev/null; then
    completed_at=$SECONDS
  fi
  if [ -n "$completed_at" ] && ((SECONDS - completed_at > exit_limit)); then
    reason="jest did not exit ${exit_limit} s after the run completed"
  elif ((SECONDS - started > run_limit)); then
    reason="the run took longer than ${run_limit} s (JEST_RUN_LIMIT_S)"
  else
    oldest=$(unfinished | sort -rn | head -1)
    if [ -n "$oldest" ] && ((${oldest%% *} > file_limit)); then
      reason="a test file ran longer than ${file_limit} s (JEST_FILE_LIMIT_S)"
    fi
  fi
  if [ -n "$reason" ]; then
    {
      echo ""
      echo "run-jest: HANG: $reason. Test files not finished (seconds running, file):"
      unfinished | sed 's/^/  /'
      echo "run-jest: killing jest (process group $jest_pid); progress log: $JEST_PROGRESS_FILE"
    } >&2
    kill -TERM -- -"$jest_pid" 2>/dev/null
    sleep 5
    kill -KILL -- -"$jest_pid" 2>/dev/null
    wait "$jest_pid" 2>/dev/null
    exit 124
  fi
done
wait "$jest_pid"
status=$?
if [ -f "$results" ]; then
  node -e '
    const r = require(process.argv[1]);
    const skipped = r.numPendingTests + r.numTodoTests;
    console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
    if (r.numTotalTests === 0) { console.error("jest ran no test"); process.exit(1); }
  ' "$(pwd)/$results" || status=1
fi
rm -f "$results" "$JEST_PROGRESS_FILE"
exit $status
