import { okResult, OcrTopics, withTiming, type OcrLine } from '@conveyor/contracts';
import { sortReadingOrder } from '@conveyor/ocr';
import { StageHandler, type StageMessage, type StageOutput } from '@conveyor/stage-runtime';
import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { collapseBestPath } from '../best-path';
import { OcrDictionary } from '../dictionary';
import { ResultStore } from '../result-store';
import { OCR_STAGE_OPTIONS, type OcrStageOptions } from '../tokens';
import { decodeRecognized } from '../wire';
import { announce } from '../announce';

/**
 * postprocess: greedy CTC decoding with the dictionary (space included),
 * confidence filter, reading order (upright order for upside-down pages), then
 * the result: written once to Redis, announced once on ocr.results.
 */
@Controller()
export class PostprocessStage {
  constructor(
    @Inject(OCR_STAGE_OPTIONS) private readonly options: OcrStageOptions,
    private readonly dictionary: OcrDictionary,
    private readonly results: ResultStore,
  ) {}

  @StageHandler(OcrTopics.recognized)
  async assemble(@Payload() message: StageMessage): Promise<StageOutput | undefined> {
    const started = performance.now();
    const recognized = decodeRecognized(message.tensors());
    const lines: OcrLine[] = [];
    recognized.indices.forEach((indices, i) => {
      const { text, confidence } = collapseBestPath(indices, recognized.scores[i], this.dictionary.classes);
      const trimmed = text.trim();
      if (trimmed.length === 0 || confidence < this.options.minConfidence) return;
      lines.push({ text: trimmed, confidence, box: recognized.boxes[i].map(([x, y]) => [round1(x), round1(y)]) as OcrLine['box'] });
    });
    const ordered = sortReadingOrder(lines, { pageAngle: recognized.pageAngle });
    const timings = withTiming({ ...message.timings }, 'postprocess', Math.round(performance.now() - started));
    const stored = await this.results.storeOnce(okResult(message.id, ordered, timings));
    return stored.needsAnnouncing ? announce(stored.result, this.results) : undefined;
  }
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}

