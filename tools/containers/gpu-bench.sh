#!/usr/bin/env bash
# Checks and times a Conveyor CUDA image on a host with an NVIDIA GPU:
#
#   tools/containers/gpu-bench.sh [--image IMAGE] [--engine docker|podman]
#
#   IMAGE   default ghcr.io/conveyor-ml/conveyor-inference:dev-cuda (tools/deploy/build-images.sh
#           --gpu-offline, or --gpu, makes it; copy it over with `podman save | podman load`
#           where the GPU host cannot build)
#   engine  docker (default when installed; needs the NVIDIA Container Toolkit, `--gpus all`)
#           or podman (needs the toolkit's CDI spec, `--device nvidia.com/gpu=all`)
#
# Inside the image, tools/containers/gpu-bench.js loads the recognition and detection models
# with only the CUDA execution provider (so a provider or CUDA library that fails to load is an
# error, not a silent CPU fallback), compares the outputs with the CPU provider's and times
# batches of 1, 8 and 32 line crops (BENCH_BATCHES, BENCH_RUNS pass through). It first prints
# the driver's view (nvidia-smi, when present) and ldd of the CUDA provider inside the image.
# Exit status 0 when CUDA ran the models and agreed with the CPU.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
image=ghcr.io/conveyor-ml/conveyor-inference:dev-cuda
engine="$(command -v docker > /dev/null && echo docker || echo podman)"
while (($#)); do
  case "$1" in
    --image) image="$2"; shift 2 ;;
    --engine) engine="$2"; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "gpu-bench: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
case "$engine" in
  docker) gpu_args=(--gpus all) ;;
  podman) gpu_args=(--device nvidia.com/gpu=all --security-opt=label=disable) ;;
  *) echo "gpu-bench: --engine must be docker or podman" >&2; exit 2 ;;
esac
command -v "$engine" > /dev/null || { echo "gpu-bench: $engine is not installed" >&2; exit 2; }
if command -v nvidia-smi > /dev/null; then nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv; fi

run=("$engine" run --rm "${gpu_args[@]}" --read-only --tmpfs /tmp --user 10001:10001
  -e BENCH_BATCHES -e BENCH_RUNS -v "$ROOT/tools/containers/gpu-bench.js:/conveyor/gpu-bench.js:ro" "$image")
echo "== ldd of the CUDA provider in $image"
"${run[@]}" sh -c 'ldd node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so'
echo "== models on CUDA and CPU"
"${run[@]}" node /conveyor/gpu-bench.js
