import type { Recognition } from './ctc';
import type { TextBox } from './db-postprocess';
import { decodeImage, resizeForDetection, resizeToRecHeight } from './image-io';
import { LineDetector, type DetectedLines, type LineDetectorOptions } from './line-detector';
import { LineRecognizer } from './line-recognizer';
import { chooseReading, needsAlternate, resolvePageAngle, type AngleScore, type LineAngle } from './orientation';
import { sortReadingOrder } from './reading-order';
import { batchLineInputs, REC_MAX_WIDTH, toRecInput, widthClassBatches } from './rec-input';
import { assertRasterImage, type FloatTensor, type Quad, type RasterImage } from './types';

export interface OcrEngineOptions extends LineDetectorOptions {
  /** Longest side of the detection input. */
  readonly limitSide?: number;
  /** Lines per recognition run; 1 (the default) gives each line its own width, which is fastest on CPU. */
  readonly recBatchSize?: number;
  readonly recMaxWidth?: number;
  /** Lines whose recognition confidence is below this are dropped (PaddleOCR drop_score). */
  readonly minConfidence?: number;
  /** An uncertain line is read the other way up too only below this upright confidence (default ALTERNATE_BELOW_CONFIDENCE). */
  readonly alternateBelowConfidence?: number;
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

/**
 * The whole OCR pipeline in one process (det → boxes → crops → cls → rec → CTC → reading order),
 * composed from the same parts the pipeline stages use (LineDetector for features, LineRecognizer for
 * inference). Used by tests and as the in-process baseline for benchmarks.
 */
export class OcrEngine {
  private constructor(
    readonly detector: LineDetector,
    readonly recognizer: LineRecognizer,
    private readonly options: OcrEngineOptions,
  ) {}

  static async create(options: OcrEngineOptions = {}): Promise<OcrEngine> {
    const recBatch = options.recBatchSize ?? 1;
    if (!Number.isInteger(recBatch) || recBatch < 1) throw new RangeError(`recBatchSize must be >= 1, got ${recBatch}`);
    const detector = await LineDetector.create(options);
    const recognizer = await LineRecognizer.create(options);
    return new OcrEngine(detector, recognizer, options);
  }

  /** Execution provider serving each model. */
  get providers(): { detection: string; classification: string; recognition: string } {
    return { ...this.detector.providers, recognition: this.recognizer.provider };
  }

  get dictionary(): readonly string[] {
    return this.recognizer.dictionary;
  }

  /** Text line boxes in `image` coordinates (the page resized for detection here, as preprocess does). */
  async detectBoxes(image: RasterImage): Promise<TextBox[]> {
    assertRasterImage(image, 3);
    return this.detector.detectBoxes(image, await resizeForDetection(image, { limitSide: this.options.limitSide }));
  }

  async classifyAngles(crops: readonly RasterImage[]): Promise<AngleScore[]> {
    return this.detector.classifyAngles(crops);
  }

  /** Detection and angle classification: what the features stage does. */
  async detectLines(image: RasterImage): Promise<DetectedLines> {
    return this.detector.orientLines(image, await this.detectBoxes(image));
  }

  /** Runs the recogniser on a [N, 3, 48, W] batch and returns its [N, T, C] probabilities. */
  async recognizeBatch(batch: FloatTensor): Promise<FloatTensor> {
    return this.recognizer.recognize(batch);
  }

  /** CTC-decodes a recogniser output with the model's dictionary. */
  decode(output: FloatTensor): Recognition[] {
    return this.recognizer.decode(output);
  }

  /** Recognises upright line crops, batching lines of one width class when the batch size is above 1. */
  async recognizeCrops(crops: readonly RasterImage[], options: { batchSize?: number } = {}): Promise<Recognition[]> {
    const maxWidth = this.options.recMaxWidth ?? REC_MAX_WIDTH;
    const scaled = await Promise.all(crops.map((c) => resizeToRecHeight(c, { maxWidth })));
    const inputs = scaled.map((c) => toRecInput(c, { maxWidth }));
    const batchSize = options.batchSize ?? this.options.recBatchSize ?? 1;
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new RangeError(`batch size must be >= 1, got ${batchSize}`);
    const results: Recognition[] = new Array(crops.length);
    if (batchSize === 1) {
      for (let i = 0; i < inputs.length; i++) {
        [results[i]] = this.decode(await this.recognizeBatch(batchLineInputs([inputs[i]])));
      }
      return results;
    }
    const indices = inputs.map((_, i) => i);
    for (const { widthClass, items: chunk } of widthClassBatches(indices, (i) => inputs[i].width, batchSize, { maxWidth })) {
      const decoded = this.decode(await this.recognizeBatch(batchLineInputs(chunk.map((i) => inputs[i]), widthClass)));
      chunk.forEach((i, k) => (results[i] = decoded[k]));
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
    const detected = await this.detector.orientLines(image, boxes);
    const t3 = performance.now();
    const recognized = await this.recognizeCrops(detected.lines.map((l) => l.crop));
    // Lines the classifier was unsure of are read the other way up too when their upright reading is not
    // confident (needsAlternate); the more confident reading wins. The inference stage does the same.
    const alternates = detected.lines.flatMap((l, i) =>
      l.alternate && needsAlternate(recognized[i].confidence, this.options.alternateBelowConfidence) ? [{ line: i, crop: l.alternate }] : [],
    );
    const alternateReadings = alternates.length > 0 ? await this.recognizeCrops(alternates.map((a) => a.crop)) : [];
    const t4 = performance.now();
    const chosen = detected.lines.map((l, i) => ({ reading: recognized[i], angle: l.angle }));
    alternates.forEach((a, k) => {
      const alternate = alternateReadings[k];
      if (chooseReading(chosen[a.line].reading, alternate) === 'alternate') {
        chosen[a.line] = { reading: alternate, angle: chosen[a.line].angle === 180 ? 0 : 180 };
      }
    });
    const pageAngle = resolvePageAngle(detected.pageAngle, chosen.map((c) => c.angle));
    const minConfidence = this.options.minConfidence ?? 0.5;
    const lines = sortReadingOrder(
      detected.lines
        .map((l, i): OcrLine => ({ text: chosen[i].reading.text, confidence: chosen[i].reading.confidence, box: l.box }))
        .filter((l) => l.text.length > 0 && l.confidence >= minConfidence),
      { pageAngle },
    );
    const t5 = performance.now();
    return {
      lines,
      pageAngle,
      width: image.width,
      height: image.height,
      timings: { decode: t1 - t0, detection: t2 - t1, classification: t3 - t2, recognition: t4 - t3, total: t5 - t0 },
    };
  }

  async close(): Promise<void> {
    await Promise.all([this.detector.close(), this.recognizer.close()]);
  }
}
