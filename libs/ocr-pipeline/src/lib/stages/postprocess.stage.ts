import { withTiming } from '@conveyor/contracts';
import { okResult, type OcrLine } from '@conveyor/pipelines';
import { defineStage, publishResult, ResultStore } from '@conveyor/stage-host';
import { chooseReading, collapseBestPath, resolvePageAngle, sortReadingOrder, type BestPathRow, type LineAngle } from '@conveyor/ocr';
import { StageHandler, type StageMessage, type StageOutput } from '@conveyor/stage-runtime';
import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { OcrDictionary } from '../dictionary';
import { OCR_UNHASHED_CONFIG, ocrStageConfig, ocrStageOptionsProvider } from '../stage-config';
import { OCR_STAGE_OPTIONS, type OcrStageOptions } from '../tokens';
import { decodeRecognized } from '../wire';

/**
 * postprocess: greedy CTC decoding with the dictionary (space included),
 * confidence filter, reading order (upright order for upside-down pages), then
 * the result: written once to Redis, announced once on the results topic.
 */
@Controller()
export class PostprocessStage {
  constructor(
    @Inject(OCR_STAGE_OPTIONS) private readonly options: OcrStageOptions,
    private readonly dictionary: OcrDictionary,
    private readonly results: ResultStore,
  ) {}

  @StageHandler()
  async assemble(@Payload() message: StageMessage): Promise<StageOutput | undefined> {
    const started = performance.now();
    const recognized = decodeRecognized(message.tensors());
    const decode = (row: BestPathRow) => collapseBestPath(row.indices, row.scores, this.dictionary.classes);
    const readings = recognized.lines.map((row, i) => {
      const main = decode(row);
      const alternateRow = recognized.alternates.get(i);
      const alternate = alternateRow && decode(alternateRow);
      // A line read both ways up (its angle was uncertain) keeps the more confident reading.
      return chooseReading(main, alternate) === 'alternate' && alternate
        ? { ...alternate, angle: (recognized.angles[i] === 180 ? 0 : 180) as LineAngle }
        : { ...main, angle: recognized.angles[i] };
    });
    const pageAngle = resolvePageAngle(recognized.pageAngle, readings.map((r) => r.angle));
    const lines: OcrLine[] = [];
    readings.forEach(({ text, confidence }, i) => {
      const trimmed = text.trim();
      if (trimmed.length === 0 || confidence < this.options.minConfidence) return;
      lines.push({ text: trimmed, confidence, box: recognized.boxes[i].map(([x, y]) => [round1(x), round1(y)]) as OcrLine['box'] });
    });
    const ordered = sortReadingOrder(lines, { pageAngle });
    const timings = withTiming({ ...message.timings }, 'postprocess', Math.round(performance.now() - started));
    return publishResult(okResult(message.id, ordered, timings), this.results);
  }
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}


/** The postprocess app: this handler, the OCR stages' configuration and the recogniser's dictionary. */
export const postprocessStage = defineStage({
  app: 'postprocess',
  handler: PostprocessStage,
  config: ocrStageConfig,
  unhashedConfig: OCR_UNHASHED_CONFIG,
  providers: [ocrStageOptionsProvider, { provide: OcrDictionary, inject: [OCR_STAGE_OPTIONS], useFactory: (o: OcrStageOptions) => OcrDictionary.load(o.modelDir) }],
});
