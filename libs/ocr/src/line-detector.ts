import { cropQuad, rotate180 } from './crop';
import { DB_DEFAULTS, extractBoxes, probabilityMapFromTensor, type TextBox } from './db-postprocess';
import { createSession, resolveOcrModelPaths, runSession, type ModelSession, type SessionOptions } from './models';
import { DET_NORMALIZATION, normalizeToChw } from './normalize';
import { CLS_THRESHOLD, decodeAngles, lineRotations, type AngleScore, type LineAngle } from './orientation';
import { batchLineInputs, toClsInput } from './rec-input';
import { assertRasterImage, type Quad, type RasterImage } from './types';

export interface LineDetectorOptions extends SessionOptions {
  readonly modelDir?: string;
  readonly detThreshold?: number;
  readonly boxThreshold?: number;
  readonly unclipRatio?: number;
  /** Run the 0°/180° classifier on each line (default true). */
  readonly useAngleClassifier?: boolean;
  readonly clsThreshold?: number;
  /** Let the page's majority orientation decide ambiguous lines (default true). */
  readonly usePageVote?: boolean;
}

export interface DetectedLine {
  readonly box: Quad;
  readonly score: number;
  /** The rectified line, already turned upright when the classifier (or the page vote) said so. */
  readonly crop: RasterImage;
  /** The turn applied to the crop. */
  readonly angle: LineAngle;
  readonly angleScore: AngleScore;
  /** For a line whose angle the classifier is unsure of: the crop turned the other way, to read too. */
  readonly alternate?: RasterImage;
}

export interface DetectedLines {
  readonly lines: DetectedLine[];
  readonly pageAngle: LineAngle;
}

const CLS_BATCH = 32;

/**
 * Text detection and angle classification (the det and cls models): what the
 * features stage runs. Boxes come in the coordinates of the page given.
 */
export class LineDetector {
  private constructor(
    private readonly detection: ModelSession,
    private readonly classification: ModelSession,
    private readonly options: LineDetectorOptions,
  ) {}

  static async create(options: LineDetectorOptions = {}): Promise<LineDetector> {
    const paths = resolveOcrModelPaths(options.modelDir);
    const detection = await createSession(paths.detection, options);
    const classification = await createSession(paths.classification, options);
    return new LineDetector(detection, classification, options);
  }

  get providers(): { detection: string; classification: string } {
    return { detection: this.detection.provider, classification: this.classification.provider };
  }

  /** Line boxes in `page` coordinates, from the detector run on `detectionInput` (the page resized, sides multiples of 32). */
  async detectBoxes(page: RasterImage, detectionInput: RasterImage): Promise<TextBox[]> {
    assertRasterImage(detectionInput, 3);
    const output = await runSession(this.detection, {
      data: normalizeToChw(detectionInput, DET_NORMALIZATION),
      shape: [1, 3, detectionInput.height, detectionInput.width],
    });
    return extractBoxes(probabilityMapFromTensor(output), {
      sourceWidth: page.width,
      sourceHeight: page.height,
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

  /** Crops each box, classifies its angle and turns upside-down lines upright. */
  async orientLines(page: RasterImage, boxes: readonly TextBox[]): Promise<DetectedLines> {
    const crops = boxes.map((b) => cropQuad(page, b.quad));
    const useCls = this.options.useAngleClassifier ?? true;
    const scores: AngleScore[] = useCls ? await this.classifyAngles(crops) : crops.map(() => ({ angle: 0, confidence: 1 }));
    const { pageAngle, rotate, uncertain } = lineRotations(scores, {
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
        ...(uncertain[i] && useCls ? { alternate: rotate[i] ? crops[i] : rotate180(crops[i]) } : {}),
      }),
    );
    return { lines, pageAngle };
  }

  async detect(page: RasterImage, detectionInput: RasterImage): Promise<DetectedLines> {
    return this.orientLines(page, await this.detectBoxes(page, detectionInput));
  }

  async close(): Promise<void> {
    await Promise.all([this.detection.session.release(), this.classification.session.release()]);
  }
}
