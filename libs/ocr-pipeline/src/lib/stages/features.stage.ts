import { OcrTopics } from '@conveyor/contracts';
import { LineDetector, recInputWidth, resizeImage, type Quad } from '@conveyor/ocr';
import { STAGE_LOGGER, StageError, StageHandler, type StageLogger, type StageMessage, type StageOutput } from '@conveyor/stage-runtime';
import { Controller, Inject, type OnModuleInit } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { ModelReadiness } from '../model-readiness';
import { OCR_STAGE_OPTIONS, OcrEventTypes, type OcrStageOptions } from '../tokens';
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
  ) {}

  onModuleInit(): void {
    this.detector = this.readiness.load(
      'detection+classification',
      () =>
        LineDetector.create({
          modelDir: this.options.modelDir,
          executionProviders: this.options.executionProviders,
          intraOpThreads: this.options.intraOpThreads,
          onLog: (line) => this.logger.info(line),
        }),
      (detector) => detector.providers,
    );
  }

  @StageHandler(OcrTopics.preprocessed)
  async detect(@Payload() message: StageMessage): Promise<StageOutput> {
    const input = decodePreprocessed(message.tensors());
    if (!this.detector) throw new StageError('MODEL_NOT_LOADED', 'the detection models are not loaded yet', true);
    const detector = await this.detector;
    const detected = await detector.detect(input.page, input.detection);
    const scaleX = input.originalWidth / input.page.width;
    const scaleY = input.originalHeight / input.page.height;
    const toOriginal = (q: Quad): Quad => q.map(([x, y]) => [x * scaleX, y * scaleY]) as Quad;
    const lines = await Promise.all(
      detected.lines.map((line) =>
        resizeImage(line.crop, recInputWidth(line.crop.width, line.crop.height, { maxWidth: this.options.recognitionMaxWidth }), 48),
      ),
    );
    return {
      topic: OcrTopics.regions,
      type: OcrEventTypes.regions,
      tensors: encodeRegions({
        lines,
        boxes: detected.lines.map((l) => toOriginal(l.box)),
        pageAngle: detected.pageAngle,
        originalWidth: input.originalWidth,
        originalHeight: input.originalHeight,
      }),
    };
  }
}
