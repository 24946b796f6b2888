#!/usr/bin/env bash
# Tandem's local/test Apache Kafka broker: one real single-node KRaft broker (Kafka 3.9.1)
# assembled from Maven Central by infra/kafka/pom.xml. No tarball, no Docker.
#
# Single source of truth for the broker's settings: `up` writes server.properties into the
# data directory; test/support/kafka-broker.ts calls this script rather than duplicating them.
#
# Must never: run anything but a loopback-only (127.0.0.1) broker, be used for production,
# kill a process it did not start (the pid file is checked against the command line),
# or wait on fixed sleeps for readiness (it polls the port and the log, with a deadline).
#
# Usage:
#   kafka.sh fetch                      copy the broker class path into infra/kafka/libs (idempotent)
#   kafka.sh up     [--port 9092] [--controller-port PORT+1] [--dir DIR] [--timeout 90]
#                   [--owner-pid PID]   start in the background; wait until ready
#                                       (--owner-pid: stop the broker when PID exits)
#   kafka.sh down   [--dir DIR] [--timeout 30]   SIGTERM, wait, then SIGKILL
#   kafka.sh status [--dir DIR]         exit 0 when running, 3 when not
# Defaults: DIR=<repo>/.tandem/kafka, port 9092, controller port = port + 1.
# Environment: JAVA (java binary), MVN (mvn binary), KAFKA_HEAP_OPTS (default -Xms256m -Xmx512m).
set -euo pipefail

KAFKA_HOME="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$KAFKA_HOME/../.." && pwd)"
readonly KAFKA_HOME REPO_ROOT
readonly LIBS="$KAFKA_HOME/libs"
readonly STAMP="$LIBS/.fetched"
readonly JAVA="${JAVA:-java}"
readonly MVN="${MVN:-mvn}"
readonly MAIN_CLASS='kafka.Kafka'

DIR="$REPO_ROOT/.tandem/kafka"
PORT=9092
CONTROLLER_PORT=''
TIMEOUT=''
OWNER_PID=''

die() {
  echo "kafka.sh: $*" >&2
  exit 1
}

# --- small helpers ------------------------------------------------------------------------

# True when the pid is a live (non-zombie) process. Orphans are reparented to PID 1, which
# on some machines reaps late, so `kill -0` alone would report a dead broker as alive.
alive() {
  local state
  state="$(ps -o stat= -p "$1" 2>/dev/null)" || return 1
  [[ -n "$state" && "$state" != Z* ]]
}

# True when the pid is alive and is *our* broker for this data directory.
is_our_broker() {
  local pid="$1" args
  alive "$pid" || return 1
  args="$(ps -o args= -p "$pid" 2>/dev/null)" || return 1
  [[ "$args" == *"$MAIN_CLASS"*"$DIR/server.properties"* ]]
}

port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pid_file() { echo "$DIR/kafka.pid"; }
watchdog_pid_file() { echo "$DIR/watchdog.pid"; }
log_file() { echo "$DIR/broker.log"; }

read_pid() {
  local f
  f="$(pid_file)"
  [[ -f "$f" ]] || return 1
  local pid
  pid="$(<"$f")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  echo "$pid"
}

prop() { # prop KEY FILE -> value of KEY in a .properties file
  sed -n "s/^$1=//p" "$2" | tail -n 1
}

log_tail() {
  local f
  f="$(log_file)"
  if [[ -f "$f" ]]; then
    echo "---- last 40 lines of $f ----" >&2
    tail -n 40 "$f" >&2
    echo "----" >&2
  fi
}

# Polls (every 0.1 s) until "$@" succeeds or the deadline (seconds from now) passes.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

not_alive() { ! alive "$1"; }

random_cluster_id() { # 16 random bytes, base64url without padding = 22 chars (Kafka's Uuid)
  local id
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    # Kafka's own generator avoids a leading '-' (it reads as a command-line flag).
    [[ ${#id} -eq 22 && "$id" != -* ]] && break
  done
  echo "$id"
}

parse_opts() {
  while (($#)); do
    case "$1" in
      --port) PORT="${2:?--port needs a value}"; shift 2 ;;
      --controller-port) CONTROLLER_PORT="${2:?--controller-port needs a value}"; shift 2 ;;
      --dir) DIR="${2:?--dir needs a value}"; shift 2 ;;
      --timeout) TIMEOUT="${2:?--timeout needs a value}"; shift 2 ;;
      --owner-pid) OWNER_PID="${2:?--owner-pid needs a value}"; shift 2 ;;
      *) die "unknown option: $1" ;;
    esac
  done
  [[ "$PORT" =~ ^[0-9]+$ ]] || die "--port must be a number: $PORT"
  CONTROLLER_PORT="${CONTROLLER_PORT:-$((PORT + 1))}"
  [[ "$CONTROLLER_PORT" =~ ^[0-9]+$ ]] || die "--controller-port must be a number"
  [[ "$PORT" != "$CONTROLLER_PORT" ]] || die "--port and --controller-port must differ"
  [[ -z "$TIMEOUT" || "$TIMEOUT" =~ ^[0-9]+$ ]] || die "--timeout must be whole seconds"
  [[ -z "$OWNER_PID" || "$OWNER_PID" =~ ^[0-9]+$ ]] || die "--owner-pid must be a pid"
  DIR="$(realpath -m -- "$DIR")" # absolute: it ends up in server.properties and the command line
}

# --- fetch --------------------------------------------------------------------------------

fetch_locked() {
  local want
  want="$(sha256sum "$KAFKA_HOME/pom.xml" | cut -d' ' -f1)"
  if [[ -f "$STAMP" && "$(<"$STAMP")" == "$want" ]]; then
    return 0
  fi
  command -v "$MVN" >/dev/null || die "mvn not found (needed once to fetch the Kafka jars)"
  echo "kafka.sh: fetching the Kafka class path from Maven Central into $LIBS" >&2
  rm -rf "$LIBS"
  if ! "$MVN" -q -B -Dstyle.color=never -f "$KAFKA_HOME/pom.xml" dependency:copy-dependencies >&2; then
    rm -rf "$LIBS"
    die "mvn dependency:copy-dependencies failed"
  fi
  [[ -f "$LIBS/kafka_2.13-3.9.1.jar" && -f "$LIBS/slf4j-reload4j-1.7.36.jar" ]] ||
    die "mvn finished but the Kafka jars are missing from $LIBS"
  echo "$want" >"$STAMP"
}

cmd_fetch() {
  (($# == 0)) || die "fetch takes no options"
  mkdir -p "$KAFKA_HOME/target"
  # Serialise concurrent fetches (a developer's `kafka:up` while jest starts its own broker).
  if command -v flock >/dev/null; then
    (
      flock -w 600 9 || die "timed out waiting for another fetch"
      fetch_locked
    ) 9>"$KAFKA_HOME/target/fetch.lock"
  else
    fetch_locked
  fi
}

# --- up -----------------------------------------------------------------------------------

write_properties() {
  cat >"$DIR/server.properties" <<EOF
# Written by infra/kafka/kafka.sh on every \`up\`; edit the script, not this file.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$DIR/data

# One broker: every internal topic must have replication factor 1.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=3
default.replication.factor=1
min.insync.replicas=1
num.partitions=1

# Tests create their topics explicitly and wait for leaders; no surprise topics.
auto.create.topics.enable=false
delete.topic.enable=true
# Consumer groups start at once instead of waiting 3 s for more members.
group.initial.rebalance.delay.ms=0

# Sized for a 2-core machine.
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
background.threads=2
log.cleaner.threads=1
EOF
}

format_storage() {
  if [[ -f "$DIR/data/meta.properties" ]]; then
    return 0 # formatted on an earlier `up`: keep the data
  fi
  local out
  if ! out="$("$JAVA" -Xmx256m -Dlog4j.configuration="file:$KAFKA_HOME/log4j.properties" \
    -cp "$LIBS/*" kafka.tools.StorageTool format \
    --cluster-id "$(random_cluster_id)" --config "$DIR/server.properties" 2>&1)"; then
    echo "$out" >&2
    die "formatting storage in $DIR/data failed"
  fi
}

start_watchdog() {
  local broker_pid="$1"
  # Stops the broker if its owner (e.g. the jest process) dies without calling `down`.
  # shellcheck disable=SC2016 # the script is single-quoted on purpose: it gets $1/$2 as args
  nohup bash -c '
    owner="$1" broker="$2"
    state() { ps -o stat= -p "$1" 2>/dev/null; }
    up() { local s; s="$(state "$1")" && [[ -n "$s" && "$s" != Z* ]]; }
    while up "$owner" && up "$broker"; do sleep 1; done
    if up "$broker"; then
      kill -TERM "$broker" 2>/dev/null || true
      for _ in $(seq 300); do up "$broker" || exit 0; sleep 0.1; done
      kill -KILL "$broker" 2>/dev/null || true
    fi
  ' kafka-watchdog "$OWNER_PID" "$broker_pid" >/dev/null 2>&1 </dev/null &
  echo $! >"$(watchdog_pid_file)"
}

broker_ready() {
  local pid="$1"
  alive "$pid" || return 2
  grep -q 'Kafka Server started' "$(log_file)" 2>/dev/null && port_open "$PORT"
}

cmd_up() {
  parse_opts "$@"
  local timeout="${TIMEOUT:-90}" pid

  if pid="$(read_pid)" && is_our_broker "$pid"; then
    local running_port
    running_port="$(prop 'advertised.listeners' "$DIR/server.properties")"
    running_port="${running_port##*:}"
    [[ "$running_port" == "$PORT" ]] ||
      die "a broker for $DIR already runs on port $running_port (pid $pid); run down first"
    echo "kafka.sh: already running on 127.0.0.1:$PORT (pid $pid)"
    return 0
  fi
  rm -f "$(pid_file)" "$(watchdog_pid_file)"

  if port_open "$PORT"; then die "port $PORT is already in use on 127.0.0.1"; fi
  if port_open "$CONTROLLER_PORT"; then die "controller port $CONTROLLER_PORT is already in use"; fi
  command -v "$JAVA" >/dev/null || die "java not found (Java 17 is needed)"

  cmd_fetch
  mkdir -p "$DIR"
  write_properties
  format_storage

  local log
  log="$(log_file)"
  : >"$log"
  local heap="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
  # shellcheck disable=SC2086 # heap options are meant to split into words
  nohup "$JAVA" $heap -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$KAFKA_HOME/log4j.properties" \
    -cp "$LIBS/*" "$MAIN_CLASS" "$DIR/server.properties" >>"$log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$(pid_file)"
  if [[ -n "$OWNER_PID" ]]; then start_watchdog "$pid"; fi

  local deadline=$((SECONDS + timeout)) rc
  while :; do
    rc=0
    broker_ready "$pid" || rc=$?
    ((rc == 0)) && break
    if ((rc == 2)); then
      rm -f "$(pid_file)"
      log_tail
      die "the broker exited during start-up (see $log)"
    fi
    if ((SECONDS >= deadline)); then
      log_tail
      cmd_down_quiet
      die "the broker was not ready within ${timeout}s (see $log)"
    fi
    sleep 0.1
  done
  echo "kafka.sh: ready on 127.0.0.1:$PORT (pid $pid, dir $DIR)"
}

# --- down / status ------------------------------------------------------------------------

stop_pid() {
  local pid="$1" timeout="$2"
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_for "$timeout" not_alive "$pid"; then
    echo "kafka.sh: broker pid $pid ignored SIGTERM for ${timeout}s; sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
    wait_for 10 not_alive "$pid" || die "broker pid $pid survived SIGKILL"
  fi
}

cmd_down_quiet() {
  local pid wpid=''
  if [[ -f "$(watchdog_pid_file)" ]]; then wpid="$(<"$(watchdog_pid_file)")"; fi
  if [[ "$wpid" =~ ^[0-9]+$ ]]; then kill -TERM "$wpid" 2>/dev/null || true; fi
  rm -f "$(watchdog_pid_file)"
  if pid="$(read_pid)" && is_our_broker "$pid"; then
    stop_pid "$pid" "${TIMEOUT:-30}"
  fi
  rm -f "$(pid_file)"
}

cmd_down() {
  parse_opts "$@"
  local pid
  if pid="$(read_pid)" && is_our_broker "$pid"; then
    cmd_down_quiet
    echo "kafka.sh: stopped (pid $pid)"
  else
    cmd_down_quiet
    echo "kafka.sh: not running ($DIR)"
  fi
}

cmd_status() {
  parse_opts "$@"
  local pid
  if pid="$(read_pid)" && is_our_broker "$pid"; then
    local listeners
    listeners="$(prop 'advertised.listeners' "$DIR/server.properties")"
    echo "kafka.sh: running (pid $pid, ${listeners#PLAINTEXT://}, dir $DIR)"
    return 0
  fi
  echo "kafka.sh: not running ($DIR)"
  return 3
}

main() {
  local cmd="${1:-}"
  (($#)) && shift
  case "$cmd" in
    fetch) cmd_fetch "$@" ;;
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    status) cmd_status "$@" ;;
    *)
      sed -n '/^# Usage:/,/^# Environment:/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
      exit 2
      ;;
  esac
}

main "$@"
