#!/usr/bin/env bash
# End-to-end test of Conveyor's containers: the images, compose.yaml under podman-compose,
# and the public contract, on one machine with podman and no image registry.
#
#   tools/containers/e2e.sh [--no-build] [--kill SERVICE] [--keep-going]
#   npx nx run containers:e2e
#
#   1. build   the stage images, Kafka and Redis (tools/deploy/build-images.sh; the layer
#              cache makes a rebuild of unchanged sources take seconds); --no-build skips it
#   2. up      podman-compose: kafka + redis, then the one-shot `topics`, then every stage of
#              every pipeline (k8s/stages.json), each step waiting on the service's own
#              healthcheck (`podman healthcheck run`: podman runs no healthcheck timers
#              without systemd, and podman-compose 1.0.3 ignores depends_on conditions)
#   3. harden  every stage container: uid 10001, read-only root filesystem (a write to /app
#              fails, /tmp is writable)
#   4. ocr     `conveyor ocr samples/ --json` from the host through KAFKA_BROKERS=localhost:<port>
#              (the public contract: CloudEvents in, Redis out), compared with samples/truth.json
#              (every image once, status ok, character error rate <= 5 %)
#   5. heal    SIGKILLs the main process of one stage (--kill, default ocr-inference) while
#              24 more requests are in flight; compose's `restart: unless-stopped` must bring
#              it back healthy, and every request must come back once and right, with no
#              dead letter and exactly one result event per request
#   6. down    podman-compose down -v and the project network; then no container, network
#              or volume of the project may be left (also after a failure: a trap runs it)
#
# Prints the time of each step. Exit status 0 when everything held, 1 on a failed check,
# 2 on a usage error, 77 when this machine cannot run it (a prerequisite is missing;
# nothing was started), which .ci/run takes as "skipped".
#
# Needs: podman and podman-compose (Debian: apt-get install podman podman-compose runc),
# container DNS on compose networks (CNI's dnsname plugin, Debian
# golang-github-containernetworking-plugin-dnsname, or netavark with aardvark-dns), the
# base images debian:bookworm-slim and node:24-bookworm-slim (tools/deploy/build-base-images.sh
# makes them where no registry is reachable; run as root it is done here), `npm ci`.
# Podman's settings come from tools/containers/containers.conf unless CONTAINERS_CONF is set.
#
# Environment: E2E_PROJECT (compose project, default conveyor-e2e), CONVEYOR_TAG (stage image
# tag, default dev), KAFKA_HOST_PORT / REDIS_HOST_PORT (default: free ports), E2E_TIMEOUT
# (seconds a service may take to become healthy, default 300).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
PROJECT="${E2E_PROJECT:-conveyor-e2e}"
export CONVEYOR_TAG="${CONVEYOR_TAG:-dev}"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$ROOT/tools/containers/containers.conf}"
TIMEOUT="${E2E_TIMEOUT:-300}"
NODE="$ROOT/node_modules/node/bin/node"
[ -x "$NODE" ] || NODE="$(command -v node || true)"

build=true kill_service=ocr-inference keep_going=false
while (($#)); do
  case "$1" in
    --no-build) build=false ;;
    --kill)
      [ $# -ge 2 ] || { echo "e2e: --kill needs a service" >&2; exit 2; }
      kill_service="$2"
      shift
      ;;
    --keep-going) keep_going=true ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "e2e: unknown argument '$1' (see --help)" >&2
      exit 2
      ;;
  esac
  shift
done

started=$SECONDS step_started=$SECONDS step_name=""
declare -a timings=()
step() {
  [ -n "$step_name" ] && timings+=("$(printf '%-7s %4d s' "$step_name" $((SECONDS - step_started)))")
  step_name="$1" step_started=$SECONDS
  printf '\n== e2e: %s (%d s so far)\n' "$1" $((SECONDS - started))
}
failures=0
fail() {
  echo "e2e: FAIL: $*" >&2
  failures=$((failures + 1))
  $keep_going || exit 1
}
pass() { echo "e2e: ok: $*"; }
# Exit status 77: this machine cannot run the test (nothing was started).
SKIP=77
need() { command -v "$1" > /dev/null || { echo "e2e: $1 is not installed ($2)" >&2; exit $SKIP; }; }

# ---- prerequisites -----------------------------------------------------------------
need podman "apt-get install -y podman runc"
need podman-compose "apt-get install -y podman-compose"
[ -n "$NODE" ] || { echo "e2e: no node (npm ci installs the node devDependency)" >&2; exit $SKIP; }
[ -d node_modules/@swc-node/register ] || { echo "e2e: node_modules is not installed (npm ci)" >&2; exit $SKIP; }
podman info > /dev/null 2>&1 || { echo "e2e: podman does not work here: $(podman info 2>&1 | tail -1)" >&2; exit $SKIP; }
backend="$(podman info --format '{{.Host.NetworkBackend}}' 2> /dev/null || echo cni)"
if [ "$backend" = cni ]; then
  dnsname=false
  for dir in /usr/lib/cni /usr/libexec/cni /opt/cni/bin /usr/local/lib/cni; do
    [ -x "$dir/dnsname" ] && dnsname=true
  done
  $dnsname || { echo "e2e: compose services find each other by name, which needs CNI's dnsname plugin (apt-get install golang-github-containernetworking-plugin-dnsname)" >&2; exit $SKIP; }
fi
for base in docker.io/library/debian:bookworm-slim docker.io/library/node:24-bookworm-slim; do
  if ! podman image exists "$base"; then
    if [ "$(id -u)" -eq 0 ] && command -v debootstrap > /dev/null; then
      tools/deploy/build-base-images.sh
    else
      echo "e2e: base image $base is missing: run tools/deploy/build-base-images.sh as root (no registry is reachable)" >&2
      exit $SKIP
    fi
  fi
done

free_port() { "$NODE" -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
export KAFKA_HOST_PORT="${KAFKA_HOST_PORT:-$(free_port)}"
export REDIS_HOST_PORT="${REDIS_HOST_PORT:-$(free_port)}"
compose=(podman-compose -p "$PROJECT" -f compose.yaml)
read -r -a stages <<< "$("$NODE" -p 'require("./k8s/stages.json").stages.map((s) => s.service).join(" ")')"
[[ " ${stages[*]} " == *" $kill_service "* ]] || { echo "e2e: --kill $kill_service is no stage service (${stages[*]})" >&2; exit 2; }
WORK="$(mktemp -d)"

# The container of a compose service (podman-compose and Docker Compose name them differently).
container() {
  podman ps -a --filter "label=io.podman.compose.project=$PROJECT" --filter "label=com.docker.compose.service=$1" \
    --format '{{.Names}}' | head -n 1
}
# The project's containers, network and volumes, and any volume that was not there before it
# started (an anonymous one, which no label names).
volumes_before=""
leftovers() {
  podman ps -a --filter "label=io.podman.compose.project=$PROJECT" --format '{{.Names}}'
  podman network ls --format '{{.Name}}' | grep -Fx "${PROJECT}_default" || true
  comm -13 <(printf '%s\n' "$volumes_before") <(podman volume ls -q | sort) | grep . || true
}
teardown() {
  # podman-compose 1.0.3's down stops, removes the containers and (-v) the volumes, not the network.
  "${compose[@]}" down -v > "$WORK/down.log" 2>&1 || true
  podman network rm -f "${PROJECT}_default" > /dev/null 2>&1 || true
}
on_exit() {
  local code=$?
  # A failed command under `set -e` may exit with any status: only the prerequisites' 77 means "skipped".
  case "$code" in 0 | 2 | "$SKIP") ;; *) code=1 ;; esac
  if [ "$step_name" != down ] && [ -n "$(leftovers)" ]; then
    echo "e2e: tearing down after a failure in step '$step_name' (logs of the project's containers: $WORK/logs)" >&2
    mkdir -p "$WORK/logs"
    for name in $(podman ps -a --filter "label=io.podman.compose.project=$PROJECT" --format '{{.Names}}'); do
      podman logs "$name" > "$WORK/logs/$name.log" 2>&1 || true
    done
    teardown
  fi
  exit "$code"
}
trap on_exit EXIT

# wait_healthy SERVICE: runs the container's own healthcheck until it passes.
wait_healthy() {
  local service="$1" name deadline=$((SECONDS + TIMEOUT))
  name="$(container "$service")"
  [ -n "$name" ] || { fail "$service has no container"; return; }
  until podman healthcheck run "$name" > /dev/null 2>&1; do
    if ((SECONDS > deadline)); then
      podman logs --tail 30 "$name" >&2 || true
      fail "$service ($name) not healthy after ${TIMEOUT} s"
      return
    fi
    sleep 2
  done
  pass "$service healthy ($name)"
}

# end offsets summed over the topics matching a pattern, read in the Kafka container.
topic_messages() {
  podman exec "$(container kafka)" kafka-get-offsets.sh --bootstrap-server kafka:19092 --topic "$1" --time -1 \
    | awk -F: '{ sum += $3 } END { print sum + 0 }'
}

# check_results RESULTS.json [--copies N]: compares with samples/truth.json (tools/containers/src/check-results.ts).
check_results() {
  SWC_NODE_PROJECT=tsconfig.base.json "$NODE" -r @swc-node/register tools/containers/src/check-results.ts \
    "$1" samples/truth.json "${@:2}"
}

conveyor_ocr() {
  KAFKA_BROKERS="localhost:$KAFKA_HOST_PORT" REDIS_URL="redis://localhost:$REDIS_HOST_PORT" \
    "$NODE" bin/conveyor.js ocr "$@" --json --no-progress
}

# ---- 1. build --------------------------------------------------------------------
step build
if $build; then
  tools/deploy/build-images.sh --tag "$CONVEYOR_TAG" > "$WORK/build.log" 2>&1 \
    || { tail -40 "$WORK/build.log" >&2; fail "image build (log: $WORK/build.log)"; }
  grep '^build-images: ' "$WORK/build.log"
else
  echo "e2e: --no-build: using the images there are"
fi

# ---- 2. up -----------------------------------------------------------------------
step up
if [ -n "$(podman ps -aq --filter "label=io.podman.compose.project=$PROJECT")$(podman volume ls -q --filter "name=^${PROJECT}_")" ]; then
  echo "e2e: removing what an earlier run of project $PROJECT left" >&2
  teardown
fi
volumes_before="$(podman volume ls -q | sort)"
echo "e2e: project $PROJECT, Kafka on localhost:$KAFKA_HOST_PORT, Redis on localhost:$REDIS_HOST_PORT"
"${compose[@]}" up -d --no-build kafka redis > "$WORK/up.log" 2>&1 || { tail -20 "$WORK/up.log" >&2; fail "compose up kafka redis"; }
wait_healthy kafka
wait_healthy redis
"${compose[@]}" up -d --no-build topics >> "$WORK/up.log" 2>&1 || fail "compose up topics"
topics="$(container topics)"
podman wait "$topics" > "$WORK/topics.exit" 2>&1 || true
if [ "$(podman inspect -f '{{.State.ExitCode}}' "$topics")" = 0 ]; then
  pass "topics created ($(podman logs "$topics" 2>&1 | grep -c 'ready (') topics)"
else
  podman logs "$topics" >&2
  fail "the topics service failed"
fi
"${compose[@]}" up -d --no-build "${stages[@]}" >> "$WORK/up.log" 2>&1 || { tail -20 "$WORK/up.log" >&2; fail "compose up stages"; }
for service in "${stages[@]}"; do wait_healthy "$service"; done

# ---- 3. harden -------------------------------------------------------------------
step harden
for service in "${stages[@]}"; do
  name="$(container "$service")"
  uid="$(podman exec "$name" id -u)"
  readonly_root="$(podman inspect -f '{{.HostConfig.ReadonlyRootfs}}' "$name")"
  if [ "$uid" != 10001 ]; then
    fail "$service runs as uid $uid, not 10001"
  elif [ "$readonly_root" != true ] || podman exec "$name" sh -c 'touch /app/.e2e-probe' 2> /dev/null; then
    fail "$service can write to its root filesystem"
  elif ! podman exec "$name" sh -c 'touch /tmp/.e2e-probe && rm /tmp/.e2e-probe'; then
    fail "$service cannot write to /tmp"
  else
    pass "$service: uid 10001, read-only root, writable /tmp"
  fi
done

# ---- 4. ocr ----------------------------------------------------------------------
step ocr
if conveyor_ocr samples/ > "$WORK/results.json" 2> "$WORK/ocr.err"; then
  pass "conveyor ocr samples/ exited 0"
else
  cat "$WORK/ocr.err" >&2
  fail "conveyor ocr samples/ failed"
fi
if check_results "$WORK/results.json"; then
  pass "results match samples/truth.json"
else
  fail "results differ from samples/truth.json"
fi

# ---- 5. heal ---------------------------------------------------------------------
step heal
victim="$(container "$kill_service")"
restarts="$(podman inspect -f '{{.RestartCount}}' "$victim")"
mkdir -p "$WORK/heal"
samples_count="$(find samples -maxdepth 1 \( -name "*.png" -o -name "*.jpg" \) | wc -l)"
copies=4
for i in $(seq 1 $copies); do
  for f in samples/*.png samples/*.jpg; do cp "$f" "$WORK/heal/r$i-$(basename "$f")"; done
done
conveyor_ocr "$WORK/heal" > "$WORK/heal.json" 2> "$WORK/heal.err" &
client=$!
sleep "${E2E_KILL_AFTER:-2}"
pid="$(podman inspect -f '{{.State.Pid}}' "$victim")"
killed_at="$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)"
kill -9 "$pid"
echo "e2e: SIGKILLed $kill_service's process $pid at $killed_at"
deadline=$((SECONDS + TIMEOUT))
until [ "$(podman inspect -f '{{.RestartCount}}' "$victim")" -gt "$restarts" ]; do
  ((SECONDS < deadline)) || { fail "$kill_service was not restarted"; break; }
  sleep 1
done
wait_healthy "$kill_service"
if wait "$client"; then
  pass "conveyor ocr of $((samples_count * copies)) images exited 0"
else
  cat "$WORK/heal.err" >&2
  fail "conveyor ocr during the restart failed"
fi
# Whether the kill hit the stage while it had work: results completed before and after it.
# shellcheck disable=SC2016 # JavaScript, not shell
"$NODE" -e '
  const results = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const before = results.filter((r) => r.completedAt && r.completedAt < process.argv[2]).length;
  console.log(`e2e: ${before} of ${results.length} requests were answered before the kill, ${results.length - before} after it`);
' "$WORK/heal.json" "$killed_at" || true
if check_results "$WORK/heal.json" --copies "$copies" > "$WORK/heal.check"; then
  pass "every request answered once and right across the restart ($(tail -1 "$WORK/heal.check" | sed 's/^ *//'))"
else
  cat "$WORK/heal.check"
  fail "results across the restart differ from samples/truth.json"
fi
requests=$((samples_count * (copies + 1)))
dead_letters="$(topic_messages '.*\.dlq')"
results="$(topic_messages 'ocr\.results')"
if [ "$dead_letters" = 0 ]; then pass "no dead letters"; else fail "$dead_letters dead letter(s)"; fi
if [ "$results" = "$requests" ]; then
  pass "ocr.results holds one event per request ($requests)"
else
  fail "ocr.results holds $results events for $requests requests"
fi

# ---- 6. down ---------------------------------------------------------------------
step down
teardown
left="$(leftovers)"
if [ -z "$left" ]; then pass "no container, network or volume of $PROJECT left"; else fail "left behind: $left"; fi
step finished

printf '\n== e2e: %s\n' "$( ((failures == 0)) && echo passed || echo "FAILED ($failures)")"
printf '  %s\n' "${timings[@]}"
printf '  total   %4d s\n' $((SECONDS - started))
rm -rf "$WORK"
((failures == 0))
