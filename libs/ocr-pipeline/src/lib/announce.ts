import { encodeOcrResult, OcrTopics, type OcrResult } from '@conveyor/contracts';
import type { StageOutput } from '@conveyor/stage-runtime';
import type { ResultStore } from './result-store';
import { OcrEventTypes } from './tokens';

/** The ocr.results event for a stored result; marks it announced once Kafka acknowledged it. */
export function announce(result: OcrResult, store: ResultStore): StageOutput {
  return {
    topic: OcrTopics.results,
    type: OcrEventTypes.result,
    value: Buffer.from(encodeOcrResult(result)),
    contentType: 'application/json',
    onAcknowledged: () => store.markAnnounced(result.id),
  };
}
