#!/usr/bin/env bash
# A local Kubernetes control plane with fake nodes, on loopback only:
# etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok, built by
# tools/k8s/build.sh into .tools/k8s/bin. Nodes are simulated by kwok: the scheduler places
# pods on them and they become Running and Ready, but no container runs.
#
#   tools/k8s/cluster.sh up --detach      start; return once ready, leave it running (make k8s-up)
#   tools/k8s/cluster.sh up --watch PID   start; stop everything when PID exits (make test-k8s)
#   tools/k8s/cluster.sh down             stop everything (make k8s-down)
#   tools/k8s/cluster.sh status           running or not, and where
#
# State lives in K8S_DIR (default .k8s/): kubeconfig, pki/, etcd data, logs/, pids/.
# Ports (fixed, so the kubeconfig stays valid; each can be moved with its variable):
#   K8S_API_PORT=26443 kube-apiserver   K8S_ETCD_PORT=23790 etcd clients   K8S_ETCD_PEER_PORT=23800
#   K8S_KCM_PORT=26257 controller-manager   K8S_SCHEDULER_PORT=26259   K8S_KWOK_PORT=26260
# K8S_NODES (default 3) fake nodes are created.
#
# Every component runs under one supervisor shell (the same idea as the Kafka broker's
# watchdog, platform/kafka/local-broker/watchdog.ts): it stops them all, in reverse order,
# when it gets SIGTERM/SIGINT/SIGHUP, when a component exits, or when the watched process
# is gone. Each component also gets SIGKILL from the kernel if the supervisor itself dies
# (setpriv --pdeathsig), so not even a SIGKILL of the supervisor leaves a process behind
# (SIGKILL, not SIGTERM: kube-apiserver's graceful shutdown hangs once etcd is gone).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="$root/.tools/k8s/bin"
dir="${K8S_DIR:-$root/.k8s}"
api_port="${K8S_API_PORT:-26443}"
etcd_port="${K8S_ETCD_PORT:-23790}"
etcd_peer_port="${K8S_ETCD_PEER_PORT:-23800}"
kcm_port="${K8S_KCM_PORT:-26257}"
scheduler_port="${K8S_SCHEDULER_PORT:-26259}"
kwok_port="${K8S_KWOK_PORT:-26260}"
nodes="${K8S_NODES:-3}"
start_timeout="${K8S_START_TIMEOUT:-180}"
components=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

say() { echo "k8s: $*"; }
die() {
  echo "k8s: $*" >&2
  exit 1
}

supervisor_pid() {
  local pid
  pid="$(cat "$dir/pids/supervisor" 2>/dev/null || true)"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then echo "$pid"; fi
}

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

random_token() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

# kubeconfig FILE USER TOKEN: a kubeconfig for the local API server.
write_kubeconfig() {
  local ca
  ca="$(base64 -w0 <"$dir/pki/ca.crt")"
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: kafka-stages-local
    cluster:
      server: https://127.0.0.1:$api_port
      certificate-authority-data: $ca
users:
  - name: $2
    user:
      token: $3
contexts:
  - name: kafka-stages-local
    context:
      cluster: kafka-stages-local
      user: $2
current-context: kafka-stages-local
EOF
  chmod 600 "$1"
}

preflight() {
  for p in etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok kwok-stages local-pki; do
    [ -x "$bin/$p" ] || die "$bin/$p is missing: run make k8s-tools (builds the control plane with Go)"
  done
  command -v curl >/dev/null 2>&1 || die "curl is needed to check the components' health endpoints"
  command -v setpriv >/dev/null 2>&1 || die "setpriv (util-linux) is needed to stop the components if the supervisor dies"
  local spec name port var
  for spec in "etcd:$etcd_port:K8S_ETCD_PORT" "etcd peers:$etcd_peer_port:K8S_ETCD_PEER_PORT" \
    "kube-apiserver:$api_port:K8S_API_PORT" "kube-controller-manager:$kcm_port:K8S_KCM_PORT" \
    "kube-scheduler:$scheduler_port:K8S_SCHEDULER_PORT" "kwok:$kwok_port:K8S_KWOK_PORT"; do
    IFS=: read -r name port var <<<"$spec"
    if port_taken "$port"; then
      die "port $port on 127.0.0.1 ($name) is taken by another process: stop it, or set $var to a free port"
    fi
  done
}

# Fresh state: certificates, tokens, kubeconfigs, kwok's stages. Logs of a previous run go.
prepare() {
  rm -rf "$dir/etcd" "$dir/pki" "$dir/logs" "$dir/pids" "$dir/run" "$dir/kubeconfig"
  mkdir -p "$dir/pki" "$dir/logs" "$dir/pids" "$dir/run"
  chmod 700 "$dir"
  "$bin/local-pki" -dir "$dir/pki"
  local admin kcm scheduler kwok
  admin="$(random_token)" kcm="$(random_token)" scheduler="$(random_token)" kwok="$(random_token)"
  # Static tokens, groups last. The controller-manager and the scheduler get the identities
  # Kubernetes' bootstrap RBAC policy grants their permissions to; kwok writes the status of
  # nodes and pods, as a kubelet would, and is an administrator here for simplicity.
  cat >"$dir/pki/tokens.csv" <<EOF
$admin,kubernetes-admin,admin,"system:masters"
$kcm,system:kube-controller-manager,kcm
$scheduler,system:kube-scheduler,scheduler
$kwok,kwok,kwok,"system:masters"
EOF
  chmod 600 "$dir/pki/tokens.csv"
  write_kubeconfig "$dir/kubeconfig" kubernetes-admin "$admin"
  write_kubeconfig "$dir/pki/kube-controller-manager.kubeconfig" system:kube-controller-manager "$kcm"
  write_kubeconfig "$dir/pki/kube-scheduler.kubeconfig" system:kube-scheduler "$scheduler"
  write_kubeconfig "$dir/pki/kwok.kubeconfig" kwok "$kwok"
  "$bin/kwok-stages" >"$dir/run/kwok-stages.yaml"
}

# The command line of each component.
command_of() {
  case "$1" in
  etcd)
    echo "$bin/etcd" --name local --data-dir "$dir/etcd" \
      --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
      --listen-peer-urls "http://127.0.0.1:$etcd_peer_port" \
      --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer_port" \
      --initial-cluster "local=http://127.0.0.1:$etcd_peer_port" \
      --log-level warn --unsafe-no-fsync
    ;;
  kube-apiserver)
    # --endpoint-reconciler-type none: the API server refuses to publish a loopback address
    # as the endpoint of the kubernetes Service, and nothing in this cluster calls it.
    echo "$bin/kube-apiserver" --etcd-servers "http://127.0.0.1:$etcd_port" \
      --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
      --endpoint-reconciler-type none \
      --tls-cert-file "$dir/pki/apiserver.crt" --tls-private-key-file "$dir/pki/apiserver.key" \
      --cert-dir "$dir/run/apiserver-certs" --token-auth-file "$dir/pki/tokens.csv" \
      --authorization-mode RBAC --allow-privileged=true \
      --service-account-issuer https://kubernetes.default.svc.cluster.local \
      --service-account-key-file "$dir/pki/sa.pub" --service-account-signing-key-file "$dir/pki/sa.key" \
      --service-cluster-ip-range 10.96.0.0/16 --profiling=false
    ;;
  kube-controller-manager)
    echo "$bin/kube-controller-manager" --kubeconfig "$dir/pki/kube-controller-manager.kubeconfig" \
      --authentication-kubeconfig "$dir/pki/kube-controller-manager.kubeconfig" \
      --authorization-kubeconfig "$dir/pki/kube-controller-manager.kubeconfig" \
      --bind-address 127.0.0.1 --secure-port "$kcm_port" --cert-dir "$dir/run/kcm-certs" \
      --leader-elect=false --use-service-account-credentials=true \
      --service-account-private-key-file "$dir/pki/sa.key" --root-ca-file "$dir/pki/ca.crt" \
      --cluster-name kafka-stages-local --profiling=false
    ;;
  kube-scheduler)
    echo "$bin/kube-scheduler" --kubeconfig "$dir/pki/kube-scheduler.kubeconfig" \
      --authentication-kubeconfig "$dir/pki/kube-scheduler.kubeconfig" \
      --authorization-kubeconfig "$dir/pki/kube-scheduler.kubeconfig" \
      --bind-address 127.0.0.1 --secure-port "$scheduler_port" --cert-dir "$dir/run/scheduler-certs" \
      --leader-elect=false --profiling=false
    ;;
  kwok)
    echo "$bin/kwok" --kubeconfig "$dir/pki/kwok.kubeconfig" --config "$dir/run/kwok-stages.yaml" \
      --manage-all-nodes=false --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
      --node-ip 127.0.0.1 --cidr 10.244.0.0/16 --node-lease-duration-seconds 40 \
      --server-address "127.0.0.1:$kwok_port"
    ;;
  esac
}

# The health endpoint that says a component is up.
healthy() {
  case "$1" in
  etcd) curl -sf "http://127.0.0.1:$etcd_port/health" | grep -q '"health":"true"' ;;
  kube-apiserver) curl -sf --cacert "$dir/pki/ca.crt" "https://127.0.0.1:$api_port/readyz" | grep -qx ok ;;
  # Their serving certificates are self-signed at start; only loopback is involved.
  kube-controller-manager) curl -sfk "https://127.0.0.1:$kcm_port/healthz" | grep -qx ok ;;
  kube-scheduler) curl -sfk "https://127.0.0.1:$scheduler_port/healthz" | grep -qx ok ;;
  kwok) curl -sf "http://127.0.0.1:$kwok_port/healthz" | grep -qx ok ;;
  esac
}

# Runs in the background (own session); see the header. Arguments: the pid to watch
# (0 for none) and the file whose existence ends the watching (the caller detached).
supervise() {
  local watched="$1" detach_file="$2"
  declare -gA pid_of=()
  echo $$ >"$dir/pids/supervisor"
  stop_all() {
    local i c p n
    for ((i = ${#components[@]} - 1; i >= 0; i--)); do
      c="${components[$i]}"
      p="${pid_of[$c]:-}"
      [ -n "$p" ] || continue
      kill -TERM "$p" 2>/dev/null || true
      n=0
      while kill -0 "$p" 2>/dev/null; do
        if [ "$n" -ge 150 ]; then kill -KILL "$p" 2>/dev/null || true; fi
        sleep 0.1
        n=$((n + 1))
      done
      rm -f "$dir/pids/$c"
    done
    rm -f "$dir/pids/supervisor" "$dir/run/ready"
  }
  trap 'echo "supervisor: stopping (signal)"; stop_all; exit 0' TERM INT HUP
  watched_gone() {
    [ -e "$detach_file" ] && watched=0
    [ "$watched" != 0 ] && ! kill -0 "$watched" 2>/dev/null
  }
  local c waited
  for c in "${components[@]}"; do
    # shellcheck disable=SC2046 # the command line is split on purpose (no spaces in paths checked below)
    setpriv --pdeathsig KILL -- $(command_of "$c") >"$dir/logs/$c.log" 2>&1 &
    pid_of[$c]=$!
    echo "${pid_of[$c]}" >"$dir/pids/$c"
    echo "supervisor: started $c (pid ${pid_of[$c]})"
    waited=0
    until healthy "$c"; do
      if ! kill -0 "${pid_of[$c]}" 2>/dev/null; then
        echo "supervisor: $c exited while starting; see $dir/logs/$c.log"
        stop_all
        exit 1
      fi
      if watched_gone; then
        echo "supervisor: the watched process $watched is gone"
        stop_all
        exit 1
      fi
      if [ "$waited" -ge $((start_timeout * 5)) ]; then
        echo "supervisor: $c not healthy after ${start_timeout}s; see $dir/logs/$c.log"
        stop_all
        exit 1
      fi
      sleep 0.2
      waited=$((waited + 1))
    done
    echo "supervisor: $c healthy after $((waited / 5)) s"
  done
  touch "$dir/run/components-up"
  while true; do
    for c in "${components[@]}"; do
      if ! kill -0 "${pid_of[$c]}" 2>/dev/null; then
        echo "supervisor: $c exited; stopping the others (see $dir/logs/$c.log)"
        stop_all
        exit 1
      fi
    done
    if watched_gone; then
      echo "supervisor: the watched process $watched is gone; stopping"
      stop_all
      exit 0
    fi
    sleep 0.5 &
    wait $! || true
  done
}

kubectl_() { "$bin/kubectl" --kubeconfig "$dir/kubeconfig" "$@"; }

# The fake nodes: kwok manages nodes with this annotation. Capacity is what the scheduler
# sees; nothing runs, so it is generous but finite.
create_nodes() {
  local i
  for ((i = 0; i < nodes; i++)); do
    cat <<EOF
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    type: kwok
    kubernetes.io/hostname: kwok-node-$i
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    topology.kubernetes.io/zone: zone-$((i % 3))
status:
  allocatable: {cpu: "4", memory: 16Gi, pods: "110"}
  capacity: {cpu: "4", memory: 16Gi, pods: "110"}
---
EOF
  done | kubectl_ apply -f - >/dev/null
}

wait_until() {
  local what="$1" timeout="$2"
  shift 2
  local start=$SECONDS
  until "$@" >/dev/null 2>&1; do
    [ -n "$(supervisor_pid)" ] || die "the supervisor stopped while waiting for $what; see $dir/logs/supervisor.log"
    [ $((SECONDS - start)) -lt "$timeout" ] || die "$what not done after ${timeout}s; see $dir/logs/"
    sleep 0.5
  done
}

nodes_ready() {
  local ready
  ready="$(kubectl_ get nodes -l type=kwok -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -cx True)"
  [ "$ready" -ge "$nodes" ]
}

up() {
  local mode="$1" watched="$2"
  if [ -n "$(supervisor_pid)" ]; then
    say "already running (supervisor pid $(supervisor_pid)); KUBECONFIG=$dir/kubeconfig"
    return 0
  fi
  case "$dir" in *' '*) die "K8S_DIR must not contain spaces: $dir" ;; esac
  preflight
  prepare
  local detach_file="$dir/run/detached" started=$SECONDS
  # Until the caller detaches, the caller itself is watched: Ctrl-C during start leaves nothing.
  [ "$mode" = detach ] && watched=$$
  setsid bash "$0" _supervise "$watched" "$detach_file" >"$dir/logs/supervisor.log" 2>&1 </dev/null &
  local spid=$!
  say "starting etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok (logs in $dir/logs/)"
  local start=$SECONDS
  until [ -e "$dir/run/components-up" ]; do
    if ! kill -0 "$spid" 2>/dev/null; then
      tail -n 5 "$dir/logs/supervisor.log" >&2 || true
      local failed
      failed="$(sed -n 's/^supervisor: \(\S*\) \(exited\|not healthy\).*/\1/p' "$dir/logs/supervisor.log" | head -1)"
      [ -n "$failed" ] && tail -n 20 "$dir/logs/$failed.log" >&2
      die "the control plane did not start"
    fi
    [ $((SECONDS - start)) -lt $((start_timeout * 5)) ] || die "the control plane did not start in time"
    sleep 0.3
  done
  create_nodes
  wait_until "$nodes fake nodes Ready" 60 nodes_ready
  # Pods need their namespace's default ServiceAccount, which the controller-manager creates.
  wait_until "the default ServiceAccount" 60 kubectl_ get serviceaccount default --namespace default
  touch "$dir/run/ready"
  [ "$mode" = detach ] && touch "$detach_file"
  say "ready in $((SECONDS - started)) s: $(kubectl_ version -o json | sed -n 's/.*"gitVersion": "\(v[^"]*\)".*/\1/p' | tail -1), $nodes kwok nodes"
  say "export KUBECONFIG=$dir/kubeconfig   (kubectl: $bin/kubectl; stop with make k8s-down)"
}

down() {
  local spid
  spid="$(supervisor_pid)"
  if [ -n "$spid" ]; then
    kill -TERM "$spid"
    local n=0
    while kill -0 "$spid" 2>/dev/null && [ "$n" -lt 400 ]; do
      sleep 0.1
      n=$((n + 1))
    done
  fi
  # Whatever is left (a supervisor killed with SIGKILL before its children noticed).
  local c p stopped=0
  for c in "${components[@]}"; do
    p="$(cat "$dir/pids/$c" 2>/dev/null || true)"
    if [ -n "$p" ] && kill -0 "$p" 2>/dev/null && grep -q "$bin/$c" "/proc/$p/cmdline" 2>/dev/null; then
      kill -KILL "$p" 2>/dev/null || true
      stopped=$((stopped + 1))
    fi
    rm -f "$dir/pids/$c"
  done
  rm -f "$dir/pids/supervisor" "$dir/run/ready"
  if [ -n "$spid" ]; then say "stopped"; elif [ "$stopped" -gt 0 ]; then say "killed $stopped leftover components"; else say "not running"; fi
}

status() {
  local spid
  spid="$(supervisor_pid)"
  if [ -n "$spid" ] && [ -e "$dir/run/ready" ]; then
    say "running (supervisor pid $spid): https://127.0.0.1:$api_port, KUBECONFIG=$dir/kubeconfig"
  elif [ -n "$spid" ]; then
    say "starting (supervisor pid $spid)"
  else
    say "not running"
    return 1
  fi
}

case "${1:-}" in
up)
  case "${2:-}" in
  --detach) up detach 0 ;;
  --watch) up watch "${3:?up --watch needs a pid}" ;;
  *) die "usage: cluster.sh up --detach | up --watch PID" ;;
  esac
  ;;
down) down ;;
status) status ;;
_supervise) supervise "$2" "$3" ;;
*) die "usage: cluster.sh up --detach | up --watch PID | down | status" ;;
esac
