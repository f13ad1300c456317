import { OcrTopics } from '@conveyor/contracts';
import { LineDetector, resizeToRecHeight, type Quad, type RasterImage } from '@conveyor/ocr';
import { STAGE_LOGGER, StageError, StageHandler, type StageLogger, type StageMessage, type StageOutput } from '@conveyor/stage-runtime';
import { Controller, Inject, type OnModuleInit } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { StageTelemetry } from '@conveyor/observability';
import { ModelReadiness } from '../model-readiness';
import { modelSessionOptions, OCR_STAGE_OPTIONS, OcrEventTypes, type OcrStageOptions } from '../tokens';
import { decodePreprocessed, encodeRegions } from '../wire';

/**
 * features: text detection (DB) → line boxes → rectified line crops → angle
 * classification, turning upside-down lines (and pages) upright. Emits one
 * uint8 crop of height 48 per line, with its box in original-image coordinates.
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
    );
  }

  @StageHandler(OcrTopics.preprocessed)
  async detect(@Payload() message: StageMessage): Promise<StageOutput> {
    const input = decodePreprocessed(message.tensors());
    if (!this.detector) throw new StageError('MODEL_NOT_LOADED', 'the detection models are not loaded yet', true);
    const detector = await this.detector;
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
      topic: OcrTopics.regions,
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
}
