#!/usr/bin/env bash
# make run-observed: the main job (as `make run`) plus a local Prometheus that scrapes its
# /metrics every 5 s and evaluates the chart's alert rules (helm/kafka-stages/files/alerts.yaml,
# as shipped). Prometheus: http://localhost:9090/graph (PROMETHEUS_PORT), its alerts at /alerts;
# the live page: http://localhost:9464/ (HTTP_PORT). Ctrl-C stops the job, then Prometheus;
# Prometheus' data lives in a temporary folder removed on exit. Extra arguments go to
# `kafka-stages run metrics-transform`. REMOTE_WRITE=1: the job's results go into this
# Prometheus too (remote write; its receiver is on), beside the scraped /metrics, with
# watermark.idle_timeout WATERMARK_IDLE_TIMEOUT (default 2s, the example's is 10s): the first
# windows close sooner, and Prometheus takes samples up to PROMETHEUS_OOO_WINDOW (default 10m)
# out of order (tools/first-series.sh measures the wait; README "Time to first series").
set -euo pipefail
cd "$(dirname "$0")/.."
prom="${PROMETHEUS_BIN:-$(command -v prometheus || true)}"
if [ -z "$prom" ] || [ ! -x "$prom" ]; then
  echo "run-observed: no prometheus server found; 'make test-tools' installs Debian's package prometheus" >&2
  exit 1
fi
http_port="${HTTP_PORT:-9464}"
prom_port="${PROMETHEUS_PORT:-9090}"
if (exec 3<>"/dev/tcp/127.0.0.1/$prom_port") 2>/dev/null; then
  echo "run-observed: port $prom_port is taken; set PROMETHEUS_PORT to another one" >&2
  exit 1
fi
state="$(mktemp -d "${TMPDIR:-/tmp}/kafka-stages-prometheus.XXXXXX")"
# out_of_order_time_window (PROMETHEUS_OOO_WINDOW, default 10m; 0s: off): with REMOTE_WRITE=1
# the samples no window takes go to Prometheus as they come, and the generator stamps 5 % of
# them up to a second in the past and 1 % a minute in the past, as real hosts do. Without it
# Prometheus refuses each as "out of order" (HTTP 400) and the sink splits every request
# around it: ~2 log2(n) requests per refused sample, enough on a busy machine to hold the
# window results back for tens of seconds.
cat >"$state/prometheus.yml" <<YAML
global:
  scrape_interval: 5s
  evaluation_interval: 5s
storage:
  tsdb:
    out_of_order_time_window: ${PROMETHEUS_OOO_WINDOW:-10m}
rule_files:
  - "$PWD/helm/kafka-stages/files/alerts.yaml"
scrape_configs:
  - job_name: kafka-stages
    static_configs:
      - targets: ["127.0.0.1:$http_port"]
        # What the chart's ServiceMonitor adds on Kubernetes; the alerts group by them.
        labels: { namespace: local, pod: "$(hostname)" }
YAML
"$prom" --config.file="$state/prometheus.yml" --storage.tsdb.path="$state/data" \
  --web.listen-address="127.0.0.1:$prom_port" --web.enable-remote-write-receiver \
  --log.level=warn >"$state/prometheus.log" 2>&1 &
prom_pid=$!
stop_prometheus() {
  kill "$prom_pid" 2>/dev/null || true
  wait "$prom_pid" 2>/dev/null || true
  rm -rf "$state"
}
trap stop_prometheus EXIT
for _ in $(seq 1 150); do
  if ! kill -0 "$prom_pid" 2>/dev/null; then
    echo "run-observed: prometheus exited at start:" >&2
    cat "$state/prometheus.log" >&2
    exit 1
  fi
  curl -sf "http://127.0.0.1:$prom_port/-/ready" >/dev/null 2>&1 && break
  sleep 0.2
done
echo "run-observed: Prometheus at http://localhost:$prom_port/graph (alerts: /alerts, targets: /targets)," \
  "scraping http://localhost:$http_port/metrics; live page at http://localhost:$http_port/" >&2
[ -n "${CONTROL_TOKEN:-}" ] || echo "run-observed: CONTROL_TOKEN is not set: the live page is read only" >&2
config=examples/metrics-transform.yaml
if [ "${REMOTE_WRITE:-0}" = 1 ]; then
  # The example config with its results written into this Prometheus (output.sink
  # prometheus_remote_write): window results appear as <name>_<stat> series in /graph.
  # Until a partition has been idle that long since its assignment, the window stage's
  # watermark waits for it (here: the empty metrics-json partitions, and the repartition
  # hop's writers), so no window closes before; 2 s lets the first ones close as soon as
  # their lateness has passed. The generator feeds every metrics-influx partition without
  # pause, so none of them is taken for idle.
  config="$state/metrics-transform.json"
  node -e '
    const fs = require("node:fs");
    const YAML = require("yaml");
    const c = YAML.parse(fs.readFileSync("examples/metrics-transform.yaml", "utf8"));
    c.output = { sink: "prometheus_remote_write", format: "json", remote_write: { url: process.argv[1] } };
    c.watermark = { ...c.watermark, idle_timeout: process.argv[3] };
    fs.writeFileSync(process.argv[2], JSON.stringify(c, null, 2));
  ' "http://127.0.0.1:$prom_port/api/v1/write" "$config" "${WATERMARK_IDLE_TIMEOUT:-2s}"
  echo "run-observed: results written to Prometheus (remote write): try {__name__=~\".+_p99\"} in /graph" >&2
fi
HTTP_PORT="$http_port" ./bin/kafka-stages run metrics-transform \
  --config "$config" --with-broker --generate "$@"
