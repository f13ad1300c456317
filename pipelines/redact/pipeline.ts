import { definePipeline } from '@conveyor/pipeline';

const REQUEST_MAX_MESSAGE_BYTES = String(20 * 1024 * 1024 + 64 * 1024);

/**
 * Text redaction (PII in scanned documents and photos): the OCR pipeline's
 * preprocess and detection stages with their own configuration, then `redact`,
 * which blacks out every detected text region and returns the redacted PNG.
 */
export const redactPipeline = definePipeline({
  name: 'redact',
  description: 'Text redaction: image in, the image with every text region blacked out (PNG) and the boxes out.',
  topics: {
    requests: { description: 'image bytes, content-type = the image type', config: { 'max.message.bytes': REQUEST_MAX_MESSAGE_BYTES } },
    preprocessed: { description: 'uint8 page + detection input (safetensors)' },
    regions: { description: 'uint8 page + text boxes in page pixels (safetensors)' },
    results: { description: 'the result JSON (conveyor.redact.result.v1); the PNG is in Redis' },
  },
  input: {
    topic: 'requests',
    eventType: 'conveyor.redact.request.v1',
    contentTypes: ['image/png', 'image/jpeg', 'image/webp', 'image/tiff', 'image/gif', 'image/avif'],
  },
  output: { topic: 'results', resultSchema: 'conveyor.redact.result.v1', failedFields: { regions: [] } },
  stages: [
    {
      name: 'preprocess',
      app: 'preprocess',
      description: 'validate and decode the image, EXIF-orient; pages kept at up to 4096 px so the redacted copy stays sharp',
      input: 'requests',
      output: 'preprocessed',
      maxInFlight: 2,
      env: { MAX_PAGE_SIDE: '4096' },
      resources: { cpu: '250m', memory: '512Mi' },
    },
    {
      name: 'detect',
      app: 'features',
      description: 'text detection only (no crops, no angle classification)',
      input: 'preprocessed',
      output: 'regions',
      maxInFlight: 2,
      models: ['PP-OCRv4 det'],
      env: { FEATURES_MODE: 'detect', ORT_INTRA_OP_THREADS: '1' },
      resources: { cpu: '1', memory: '768Mi' },
    },
    {
      name: 'redact',
      app: 'redact',
      description: 'black out every text region, store the PNG, write the result',
      input: 'regions',
      output: 'results',
      maxInFlight: 2,
      resources: { cpu: '250m', memory: '512Mi' },
    },
  ],
});
