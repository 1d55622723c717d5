#!/usr/bin/env bash
# How long a user of `make run-observed REMOTE_WRITE=1` waits for the transformed series in
# Prometheus. Starts tools/run-observed.sh (REMOTE_WRITE=1, free ports, its own process group),
# then polls every 0.5 s: Prometheus ready, the broker answering and the job running (the job's
# log), the job's /readyz, its first sample in, first window out and first sample accepted by
# Prometheus (its /metrics), and Prometheus' /api/v1/query for {__name__=~".+_p99",pod=""}
# (the remote-written window results; scraped series carry a pod label). Prints the seconds
# from start to each, the job's remote-write counters, then one JSON line, and stops the run
# (SIGINT to its group, as Ctrl-C would; SIGKILL after 60 s). FIRST_SERIES_TIMEOUT (default
# 300) seconds without a series: exit 1. WATERMARK_IDLE_TIMEOUT and PROMETHEUS_OOO_WINDOW go
# to run-observed (10s and 0s measure it as it was before they existed).
# The TypeScript is compiled first (not timed): a build would otherwise count as waiting.
# RUN_OBSERVED_LOG=<file> keeps the run's output (default: a temporary file, removed).
set -euo pipefail
cd "$(dirname "$0")/.."
timeout_s="${FIRST_SERIES_TIMEOUT:-300}"
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
http_port="$(free_port)"
prom_port="$(free_port)"
log="${RUN_OBSERVED_LOG:-$(mktemp "${TMPDIR:-/tmp}/first-series.XXXXXX")}"
make -s build >&2

start_ns="$(date +%s%N)"
elapsed() { echo "$(( ($(date +%s%N) - start_ns) / 1000000 ))" | awk '{ printf "%.1f", $1 / 1000 }'; }
REMOTE_WRITE=1 HTTP_PORT="$http_port" PROMETHEUS_PORT="$prom_port" \
  setsid bash tools/run-observed.sh >"$log" 2>&1 &
group=$!
stop_run() {
  if kill -0 "$group" 2>/dev/null; then
    kill -INT -- "-$group" 2>/dev/null || true
    for _ in $(seq 1 120); do
      kill -0 "$group" 2>/dev/null || break
      sleep 0.5
    done
    kill -KILL -- "-$group" 2>/dev/null || true
  fi
  wait "$group" 2>/dev/null || true
  [ -n "${RUN_OBSERVED_LOG:-}" ] || rm -f "$log"
}
trap stop_run EXIT

metric_sum() { # sum of a metric's samples on the job's /metrics ('' when not served yet)
  curl -sf --max-time 1 "http://127.0.0.1:$http_port/metrics" 2>/dev/null |
    awk -v m="$1" '{ split($1, a, "{") } a[1] == m { s += $NF; n++ } END { if (n) print s }' ||
    true
}
# Where the time goes: Prometheus ready, the local broker answering (the job's "brokers" log
# line, by its own clock), the job running, its first window, the first samples Prometheus
# accepted (the sink's kafka_stages_remote_write_samples_sent_total) and the first _p99 series.
prom_ready="" brokers_ready="" running="" first_sent=""
log_seconds() { # seconds from start to the first log line with this msg ('' when none yet)
  awk -v msg="\"msg\":\"$1\"" -v start="$start_ns" 'index($0, msg) {
      if (match($0, /"time":[0-9]+/)) { printf "%.1f", (substr($0, RSTART + 7, RLENGTH - 7) - start / 1e6) / 1000; exit }
    }' "$log" 2>/dev/null || true
}
ready="" first_in="" first_window="" first_series=""
echo "first-series: run-observed on HTTP_PORT=$http_port PROMETHEUS_PORT=$prom_port" >&2
while [ -z "$first_series" ]; do
  if ! kill -0 "$group" 2>/dev/null; then
    echo "first-series: run-observed exited early:" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
  now="$(elapsed)"
  if awk -v n="$now" -v t="$timeout_s" 'BEGIN { exit !(n > t) }'; then
    echo "first-series: no series after ${timeout_s}s; last lines of the run:" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
  if [ -z "$prom_ready" ] && curl -sf --max-time 1 "http://127.0.0.1:$prom_port/-/ready" >/dev/null 2>&1; then
    prom_ready="$(elapsed)"
    echo "first-series: ${prom_ready}s Prometheus ready" >&2
  fi
  if [ -z "$brokers_ready" ]; then
    brokers_ready="$(log_seconds brokers)"
    [ -z "$brokers_ready" ] || echo "first-series: ${brokers_ready}s broker answering (job log)" >&2
  fi
  if [ -z "$running" ]; then
    running="$(log_seconds 'metrics-transform running; Ctrl-C stops')"
    [ -z "$running" ] || echo "first-series: ${running}s job running, HTTP up (job log)" >&2
  fi
  if [ -z "$ready" ] && curl -sf --max-time 1 "http://127.0.0.1:$http_port/readyz" >/dev/null 2>&1; then
    ready="$(elapsed)"
    echo "first-series: ${ready}s job ready (group joined, partitions assigned)" >&2
  fi
  if [ -n "$ready" ] && [ -z "$first_sent" ]; then
    w="$(metric_sum kafka_stages_remote_write_samples_sent_total)"
    if [ -n "$w" ] && [ "$w" != "0" ]; then
      first_sent="$(elapsed)"
      echo "first-series: ${first_sent}s first samples accepted by Prometheus (remote write)" >&2
    fi
  fi
  if [ -n "$ready" ] && [ -z "$first_window" ]; then
    if [ -z "$first_in" ] && [ "$(metric_sum kafka_stages_transform_samples_in_total)" != "" ] &&
      [ "$(metric_sum kafka_stages_transform_samples_in_total)" != "0" ]; then
      first_in="$(elapsed)"
      echo "first-series: ${first_in}s first samples transformed" >&2
    fi
    w="$(metric_sum kafka_stages_transform_windows_emitted_total)"
    if [ -n "$w" ] && [ "$w" != "0" ]; then
      first_window="$(elapsed)"
      echo "first-series: ${first_window}s first window emitted" >&2
    fi
  fi
  if curl -sf --max-time 1 "http://127.0.0.1:$prom_port/api/v1/query" \
    --data-urlencode 'query=count({__name__=~".+_p99",pod=""})' 2>/dev/null |
    grep -q '"result":\[{'; then
    first_series="$(elapsed)"
    echo "first-series: ${first_series}s first _p99 series in Prometheus" >&2
  fi
  [ -n "$first_series" ] || sleep 0.5
done
# What the job said about its remote writes and windows by then.
curl -sf --max-time 5 "http://127.0.0.1:$http_port/metrics" 2>/dev/null |
  grep -E '^kafka_stages_(remote_write_(requests|samples_sent|samples_refused|retries)_total|transform_(windows_emitted|late_samples)_total)' |
  sed 's/^/first-series: at the end: /' >&2 || true
json_num() { if [ -n "$1" ]; then echo "$1"; else echo null; fi; }
echo "{\"load_average\":\"$(cut -d' ' -f1-3 /proc/loadavg)\",\"seconds_to_prometheus_ready\":$(json_num "$prom_ready"),\"seconds_to_broker_answering\":$(json_num "$brokers_ready"),\"seconds_to_job_running\":$(json_num "$running"),\"seconds_to_ready\":$(json_num "$ready"),\"seconds_to_first_sample\":$(json_num "$first_in"),\"seconds_to_first_window\":$(json_num "$first_window"),\"seconds_to_first_sample_accepted\":$(json_num "$first_sent"),\"seconds_to_first_series\":$first_series}"
