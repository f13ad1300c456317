#!/usr/bin/env bash
# The benchmark's inference on a CUDA host: CPU vs GPU images/s and the batch-size effect.
#
#   bash tools/bench/gpu.sh [count]        # default 40 images
#
# 1. Installs onnxruntime-node's CUDA 12 execution provider next to its CPU build if it is
#    missing (the package's own installer, as docker/stage.gpu.Dockerfile does; .npmrc skips it
#    on CPU machines). Needs an NVIDIA driver for CUDA 12 and cuDNN 9 on the library path.
# 2. Recognition of the corpus's line crops (the inference stage's work, grouped by width
#    class as the stage does) on cpu and on cuda,cpu, at REC_BATCH_SIZE 1, 8, 32 and 64, and
#    whole images through OcrEngine on each provider (tools/bench/src/gpu-bench.ts).
# 3. With Java and Redis present (as for npm start), the pipeline itself on the GPU settings
#    (ORT_EXECUTION_PROVIDERS=cuda,cpu, REC_BATCH_SIZE=32, BATCH_MAX_SIZE=32, as
#    compose.gpu.yaml and k8s/components/gpu-inference set them) next to the in-process engine.
#
# It has not been run on this project's machines: they have no GPU (tools/bench/README.md, "GPU").
set -euo pipefail
cd "$(dirname "$0")/../.."
count="${1:-40}"
export SWC_NODE_PROJECT=tsconfig.base.json NX_DAEMON=false NX_NO_CLOUD=true

ort_bin=node_modules/onnxruntime-node/bin/napi-v6/linux/x64
if [ ! -f "$ort_bin/libonnxruntime_providers_cuda.so" ]; then
  echo "gpu.sh: installing onnxruntime-node's CUDA 12 execution provider into $ort_bin" >&2
  ONNXRUNTIME_NODE_INSTALL=cuda12 npx node node_modules/onnxruntime-node/script/install
fi
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
else
  echo "gpu.sh: nvidia-smi not found; a provider list with cuda falls back to cpu (the table says which one served)" >&2
fi

echo "== recognition and whole images, CPU vs GPU, by batch size"
npx node -r @swc-node/register tools/bench/src/gpu-bench.ts --count "$count" --providers 'cpu;cuda,cpu' --batch-sizes 1,8,32,64

if command -v java >/dev/null && (command -v redis-cli >/dev/null && redis-cli -u "${REDIS_URL:-redis://127.0.0.1:6379}" ping >/dev/null 2>&1); then
  echo "== the pipeline on CPU settings (the definition's)"
  npx node -r @swc-node/register tools/bench/src/ocr-bench.ts --count "$count" --readers engine,pipeline --rounds 1 --loads none --idle-images 5
  echo "== the pipeline on GPU settings"
  ORT_EXECUTION_PROVIDERS=cuda,cpu REC_BATCH_SIZE=32 BATCH_MAX_SIZE=32 BATCH_MAX_WAIT_MS=10 \
    npx node -r @swc-node/register tools/bench/src/ocr-bench.ts --count "$count" --readers engine,pipeline --rounds 1 --loads none --idle-images 5
else
  echo "gpu.sh: no Java or Redis here; skipping the pipeline runs (the model-level figures above stand)" >&2
fi
