import { OcrEventTypes, RedactEventTypes } from '@conveyor/pipelines';
import { defineStage, ModelReadiness } from '@conveyor/stage-host';
import { LineDetector, resizeToRecHeight, type Quad, type RasterImage } from '@conveyor/ocr';
import { STAGE_LOGGER, StageError, StageHandler, type StageLogger, type StageMessage, type StageOutput } from '@conveyor/stage-runtime';
import { Controller, Inject, type OnModuleInit } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { StageTelemetry } from '@conveyor/observability';
import { OCR_UNHASHED_CONFIG, ocrStageConfig, ocrStageOptionsProvider } from '../stage-config';
import { modelFiles, modelSessionOptions, OCR_STAGE_OPTIONS, type OcrStageOptions } from '../tokens';
import { decodePreprocessed, encodeDetectedPage, encodeRegions, type PreprocessedPage } from '../wire';

/**
 * features: text detection (DB) → line boxes → rectified line crops → angle
 * classification, turning upside-down lines (and pages) upright. Emits one
 * uint8 crop of height 48 per line, with its box in original-image coordinates.
 * With FEATURES_MODE=detect (the redaction pipeline) it stops after detection
 * and emits the page with its text boxes.
 */
@Controller()
export class FeaturesStage implements OnModuleInit {
  private detector?: Promise<LineDetector>;

  constructor(
    @Inject(OCR_STAGE_OPTIONS) private readonly options: OcrStageOptions,
    @Inject(STAGE_LOGGER) private readonly logger: StageLogger,
    private readonly readiness: ModelReadiness,
    private readonly telemetry: StageTelemetry,
  ) {}

  onModuleInit(): void {
    this.detector = this.readiness.load(
      'detection+classification',
      () => LineDetector.create(modelSessionOptions(this.options, this.logger)),
      (detector) => detector.providers,
      modelFiles(this.options, ['detection', 'classification']),
    );
  }

  @StageHandler()
  async detect(@Payload() message: StageMessage): Promise<StageOutput> {
    const input = decodePreprocessed(message.tensors());
    if (!this.detector) throw new StageError('MODEL_NOT_LOADED', 'the detection models are not loaded yet', true);
    const detector = await this.detector;
    if (this.options.featuresMode === 'detect') return this.detectOnly(detector, input);
    const provider = [...new Set(Object.values(detector.providers))].join(',');
    const detected = await this.telemetry.modelRun('detection+classification', provider, () => detector.detect(input.page, input.detection));
    const scaleX = input.originalWidth / input.page.width;
    const scaleY = input.originalHeight / input.page.height;
    const toOriginal = (q: Quad): Quad => q.map(([x, y]) => [x * scaleX, y * scaleY]) as Quad;
    const toRecHeight = (crop: RasterImage) => resizeToRecHeight(crop, { maxWidth: this.options.recognitionMaxWidth });
    const lines = await Promise.all(detected.lines.map((line) => toRecHeight(line.crop)));
    // Lines the classifier was unsure of travel both ways up; postprocess keeps the more confident reading.
    const alternates = new Map<number, RasterImage>();
    for (const [i, line] of detected.lines.entries()) {
      if (line.alternate) alternates.set(i, await toRecHeight(line.alternate));
    }
    return {
      type: OcrEventTypes.regions,
      tensors: encodeRegions({
        lines,
        angles: detected.lines.map((l) => l.angle),
        alternates,
        boxes: detected.lines.map((l) => toOriginal(l.box)),
        pageAngle: detected.pageAngle,
        originalWidth: input.originalWidth,
        originalHeight: input.originalHeight,
      }),
    };
  }

  /** Detection only: the page and its text boxes (page pixels), for stages that work on regions rather than text. */
  private async detectOnly(detector: LineDetector, input: PreprocessedPage): Promise<StageOutput> {
    const boxes = await this.telemetry.modelRun('detection', detector.providers.detection, () => detector.detectBoxes(input.page, input.detection));
    return {
      type: RedactEventTypes.regions,
      tensors: encodeDetectedPage({ page: input.page, boxes: boxes.map((b) => b.quad), originalWidth: input.originalWidth, originalHeight: input.originalHeight }),
    };
  }
}

/** The features app: this handler with the OCR stages' configuration. */
export const featuresStage = defineStage({ app: 'features', handler: FeaturesStage, config: ocrStageConfig, unhashedConfig: OCR_UNHASHED_CONFIG, providers: [ocrStageOptionsProvider] });
