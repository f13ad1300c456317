import { OcrEventTypes } from '@conveyor/pipelines';
import { defineStage, ModelReadiness } from '@conveyor/stage-host';
import { batchLineInputs, bestPath, bestPathConfidence, LineRecognizer, needsAlternate, toRecInput, widthClassBatches, type BestPathRow, type LineInput } from '@conveyor/ocr';
import { STAGE_INPUT, STAGE_LOGGER, StageError, StageHandler, type StageLogger, type StageMessage, type StageOutput } from '@conveyor/stage-runtime';
import { Controller, Inject, type OnModuleInit } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { StageTelemetry } from '@conveyor/observability';
import { OCR_UNHASHED_CONFIG, ocrStageConfig, ocrStageOptionsProvider } from '../stage-config';
import { modelFiles, modelSessionOptions, OCR_STAGE_OPTIONS, type OcrStageOptions } from '../tokens';
import { decodeRegions, encodeRecognized, type PageRegions } from '../wire';

/** Default message batching; BATCH_MAX_SIZE / BATCH_MAX_WAIT_MS override it per deployment. */
export const INFERENCE_BATCH = { maxSize: 8, maxWaitMs: 10 };

interface LineRef {
  message: number;
  line: number;
  /** The alternate crop of the line (turned the other way), not the line itself. */
  alternate: boolean;
  input: LineInput;
}

/**
 * inference: text recognition with dynamic batching across messages. The
 * runtime hands over every message that arrived within the batch window; their
 * line crops are grouped by width class and run in recogniser batches of at
 * most `recognitionBatchSize` lines, so one model run serves lines of several
 * requests. Emits the greedy best path per line (`bestPath` in @conveyor/ocr).
 */
@Controller()
export class InferenceStage implements OnModuleInit {
  private recognizer?: Promise<LineRecognizer>;

  constructor(
    @Inject(OCR_STAGE_OPTIONS) private readonly options: OcrStageOptions,
    @Inject(STAGE_LOGGER) private readonly logger: StageLogger,
    private readonly readiness: ModelReadiness,
    private readonly telemetry: StageTelemetry,
  ) {}

  onModuleInit(): void {
    this.recognizer = this.readiness.load(
      'recognition',
      () => LineRecognizer.create(modelSessionOptions(this.options, this.logger)),
      (recognizer) => ({ recognition: recognizer.provider }),
      modelFiles(this.options, ['recognition', 'dictionary']),
    );
  }

  @StageHandler(STAGE_INPUT, { batch: INFERENCE_BATCH })
  async recognize(@Payload() messages: StageMessage[]): Promise<Array<StageOutput | Error>> {
    return this.telemetry.withSpansPerMessage(messages, 'recognize', { 'conveyor.batch.size': messages.length }, () => this.recognizeBatch(messages));
  }

  private async recognizeBatch(messages: StageMessage[]): Promise<Array<StageOutput | Error>> {
    const pages: Array<PageRegions | Error> = messages.map((m) => {
      try {
        return decodeRegions(m.tensors());
      } catch (error) {
        return error as Error; // only this message fails; the rest of the batch goes on
      }
    });
    const maxWidth = this.options.recognitionMaxWidth;
    const rows = pages.map((p) => (p instanceof Error ? [] : new Array<BestPathRow>(p.lines.length)));
    const alternateRows = pages.map(() => new Map<number, BestPathRow>());
    const recognizer = await this.recognizer;
    if (!recognizer) throw new StageError('MODEL_NOT_LOADED', 'the recognition model is not loaded yet', true);
    const store = (ref: LineRef, row: BestPathRow): void => {
      if (ref.alternate) alternateRows[ref.message].set(ref.line, row);
      else rows[ref.message][ref.line] = row;
    };
    const mains: LineRef[] = [];
    pages.forEach((page, message) => {
      if (page instanceof Error) return;
      page.lines.forEach((crop, line) => mains.push({ message, line, alternate: false, input: toRecInput(crop, { maxWidth }) }));
    });
    await this.recognizeRefs(recognizer, mains, messages, store);
    // Lines the classifier was unsure of are read the other way up too, but only when the upright reading
    // is not confident (needsAlternate, as in OcrEngine): most alternates are never worth a model run.
    const alternates: LineRef[] = [];
    pages.forEach((page, message) => {
      if (page instanceof Error) return;
      page.alternates.forEach((crop, line) => {
        const main = rows[message][line];
        if (needsAlternate(bestPathConfidence(main.indices, main.scores))) {
          alternates.push({ message, line, alternate: true, input: toRecInput(crop, { maxWidth }) });
        }
      });
    });
    await this.recognizeRefs(recognizer, alternates, messages, store);
    return pages.map((page, i) =>
      page instanceof Error
        ? page
        : {
            type: OcrEventTypes.recognized,
            tensors: encodeRecognized({
              lines: rows[i],
              angles: page.angles,
              alternates: alternateRows[i],
              boxes: page.boxes,
              pageAngle: page.pageAngle,
              originalWidth: page.originalWidth,
              originalHeight: page.originalHeight,
            }),
          },
    );
  }

  /** Runs the recogniser over `refs` grouped by width class, in runs of at most the recognition batch size. */
  private async recognizeRefs(recognizer: LineRecognizer, refs: readonly LineRef[], messages: readonly StageMessage[], store: (ref: LineRef, row: BestPathRow) => void): Promise<void> {
    const maxWidth = this.options.recognitionMaxWidth;
    const batches = widthClassBatches(refs, (r) => r.input.width, this.options.recognitionBatchSize, { maxWidth });
    for (const { items: group } of batches) {
      const width = Math.max(...group.map((r) => r.input.width));
      // Only the requests with lines in this run get its model span.
      const output = await this.telemetry.modelRun(
        'recognition',
        recognizer.provider,
        () => recognizer.recognize(batchLineInputs(group.map((r) => r.input), width)),
        [...new Set(group.map((r) => messages[r.message]))],
      );
      // The recogniser downsamples width by a fixed factor; steps past a line's content are padding.
      const stride = width / output.shape[1];
      const path = bestPath(output, group.map((r) => Math.ceil(r.input.contentWidth / stride)));
      group.forEach((ref, k) => store(ref, path[k]));
    }
  }
}

/** The inference app: this handler with the OCR stages' configuration. */
export const inferenceStage = defineStage({ app: 'inference', handler: InferenceStage, config: ocrStageConfig, unhashedConfig: OCR_UNHASHED_CONFIG, providers: [ocrStageOptionsProvider] });
