#!/usr/bin/env bash
# Validates Conveyor's deployment files without a cluster or a container engine:
#   tools/deploy/validate.sh
#
#   0. the generated files (compose, k8s, Prometheus, Grafana variables, topic and
#      image lists, k8s/stages.json) match the pipeline definitions: `npm run generate -- --check`
#   1. kustomize build of k8s/base, every overlay, and prod + both components
#      (kustomize, or kubectl's built-in `kubectl kustomize`)
#   2. docker-compose config of compose.yaml, alone and with compose.gpu.yaml;
#      podman-compose 1.0.3's reading of it (a dry run) where installed
#   3. tools/deploy/src/manifests.spec.ts (Jest, also part of `npm test`): every object
#      of every rendering of 1 against the Kubernetes, KEDA and Strimzi schemas
#      (kubernetes-models), and Conveyor's rules for the manifests, the compose files,
#      the stage Dockerfiles and the observability files (tools/deploy/src/invariants.ts)
#   4. yamllint, shellcheck, hadolint, promtool where installed; bash -n always
#
# A missing tool skips its step with a message; any failure makes the exit status 1.
# Debian: apt-get install -y docker-compose podman-compose yamllint shellcheck
# (kubectl ships kustomize).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT" || exit 2
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

passed=0 failed=0 skipped=0
pass() { printf 'PASS  %s\n' "$1"; passed=$((passed + 1)); }
fail() { printf 'FAIL  %s\n' "$1"; failed=$((failed + 1)); }
skip() { printf 'SKIP  %s\n' "$1"; skipped=$((skipped + 1)); }
have() { command -v "$1" > /dev/null 2>&1; }

# run NAME CMD...: runs CMD, shows its output only when it fails.
run() {
  local name="$1" out
  shift
  if out="$("$@" 2>&1)"; then
    pass "$name"
  else
    fail "$name"
    printf '%s\n' "$out" | sed 's/^/      /'
  fi
}

# ---- 0. Generated files -------------------------------------------------------
echo "== Generated files"
node_bin="$ROOT/node_modules/node/bin/node"
[ -x "$node_bin" ] || node_bin="$(command -v node || true)"
if [ -n "$node_bin" ] && [ -d node_modules/@swc-node/register ]; then
  run "generated files match pipelines/*/pipeline.ts (npm run generate -- --check)" \
    env SWC_NODE_PROJECT=tsconfig.base.json "$node_bin" -r @swc-node/register tools/deploy/src/generate.ts --check
else
  skip "generated files: node_modules is not installed (npm ci)"
fi

# ---- 1. Kubernetes ------------------------------------------------------------
kustomize_cmd=()
if have kustomize; then
  kustomize_cmd=(kustomize build)
elif have kubectl && kubectl kustomize --help > /dev/null 2>&1; then
  kustomize_cmd=(kubectl kustomize)
fi

# render NAME DIR [LABEL]: builds DIR into $WORK/NAME.yaml.
render() {
  local name="$1" dir="$2" label="${3:-$2}"
  if "${kustomize_cmd[@]}" "$dir" > "$WORK/$name.yaml" 2> "$WORK/$name.err"; then
    pass "kustomize build $label ($(grep -c '^kind:' "$WORK/$name.yaml") objects)"
  else
    fail "kustomize build $label"
    sed 's/^/      /' "$WORK/$name.err"
  fi
}

if ((${#kustomize_cmd[@]})); then
  echo "== Kubernetes (${kustomize_cmd[*]})"
  render base k8s/base
  render dev k8s/overlays/dev
  render gpu k8s/overlays/gpu
  render prod k8s/overlays/prod
  # The components as k8s/README.md tells users to combine them. kustomize wants
  # relative paths, so the throwaway overlay points back into the repository.
  # The CUDA images: the apps with a GPU Dockerfile in tools/deploy/images.txt.
  combo="$WORK/prod-gpu-hpa"
  mkdir -p "$combo"
  rel="$(realpath --relative-to="$combo" "$ROOT/k8s")"
  version="$(sed -n 's/^  "version": "\(.*\)",$/\1/p' package.json)"
  {
    printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n'
    printf 'resources:\n  - %s/overlays/prod\n' "$rel"
    printf 'components:\n  - %s/components/gpu-inference\n  - %s/components/hpa-cpu\n' "$rel" "$rel"
    printf 'images:\n'
    while read -r app _ gpu_dockerfile; do
      case "$app" in '' | '#'* | infra:*) continue ;; esac
      [ "$gpu_dockerfile" = - ] && continue
      printf '  - name: ghcr.io/conveyor-ml/conveyor-%s\n    newTag: "%s-cuda"\n' "$app" "$version"
    done < tools/deploy/images.txt
  } > "$combo/kustomization.yaml"
  render prod-gpu-hpa "$combo" "k8s/overlays/prod + components gpu-inference, hpa-cpu"
else
  skip "kustomize builds: neither kustomize nor kubectl is installed"
fi

# ---- 2. Compose ---------------------------------------------------------------
compose_cmd=()
if have docker-compose; then
  compose_cmd=(docker-compose)
elif have docker && docker compose version > /dev/null 2>&1; then
  compose_cmd=(docker compose)
fi
if ((${#compose_cmd[@]})); then
  echo "== Compose (${compose_cmd[*]})"
  for variant in cpu gpu; do
    files=(-f compose.yaml)
    [ "$variant" = gpu ] && files+=(-f compose.gpu.yaml)
    if "${compose_cmd[@]}" "${files[@]}" config > "$WORK/compose-$variant.yaml" 2> "$WORK/compose-$variant.err"; then
      pass "${compose_cmd[*]} ${files[*]} config"
    else
      fail "${compose_cmd[*]} ${files[*]} config"
      sed 's/^/      /' "$WORK/compose-$variant.err"
    fi
  done
else
  skip "compose config: neither docker-compose nor the docker compose plugin is installed"
fi
if have podman-compose; then
  # A dry run prints the podman commands it would run; podman itself is not needed
  # (--podman-path true). It reads the files the way podman-compose 1.0.3 does.
  for variant in cpu gpu; do
    files=(-f compose.yaml)
    [ "$variant" = gpu ] && files+=(-f compose.gpu.yaml)
    run "podman-compose ${files[*]} --dry-run up" \
      podman-compose --podman-path "$(type -P true)" --dry-run "${files[@]}" up --no-build -d
  done
else
  skip "podman-compose dry run: podman-compose is not installed"
fi

# ---- 3. Schemas and rules ---------------------------------------------------------
echo "== Schemas and rules"
if [ -n "$node_bin" ] && [ -x node_modules/.bin/jest ]; then
  run "Kubernetes/KEDA/Strimzi schemas and Conveyor's rules (tools/deploy/src/manifests.spec.ts)" \
    "$node_bin" node_modules/.bin/jest --ci -c tools/deploy/jest.config.js tools/deploy/src/manifests.spec.ts
else
  skip "schemas and rules: node_modules is not installed (npm ci)"
fi
if have hadolint; then
  run "hadolint docker/*.Dockerfile" hadolint --ignore DL3008 docker/*.Dockerfile
else
  skip "hadolint: not installed"
fi
if have promtool; then
  run "promtool check config docker/prometheus.yml" promtool check config docker/prometheus.yml
else
  skip "promtool: not installed"
fi

# ---- 4. Lint ------------------------------------------------------------------
echo "== Lint"
if have yamllint; then
  run "yamllint (compose, docker, k8s)" yamllint --strict -d \
    '{extends: default, rules: {line-length: {max: 140}, document-start: disable, truthy: {check-keys: false}, comments: {min-spaces-from-content: 1}, indentation: {indent-sequences: whatever}}}' \
    compose.yaml compose.gpu.yaml docker k8s
else
  skip "yamllint: not installed"
fi
for script in tools/deploy/*.sh tools/containers/*.sh docker/kafka/*.sh; do
  run "bash -n $script" bash -n "$script"
done
# The build scripts' argument handling and the commands they would run, without building.
run "build-images.sh --dry-run" tools/deploy/build-images.sh --dry-run --gpu --tag validate
run "build-images.sh rejects an unknown app" bash -c '! tools/deploy/build-images.sh --dry-run --apps nope'
run "build-base-images.sh --dry-run" tools/deploy/build-base-images.sh --dry-run
if have shellcheck; then
  run "shellcheck" shellcheck tools/deploy/*.sh tools/containers/*.sh docker/kafka/*.sh
else
  skip "shellcheck: not installed"
fi

echo "== $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
