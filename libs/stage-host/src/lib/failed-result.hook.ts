import { failedResultEnvelope, isValidRequestId } from '@conveyor/contracts';
import type { DeadLetterEvent, DeadLetterHook, StageResult } from '@conveyor/stage-runtime';
import { Inject, Injectable } from '@nestjs/common';
import { publishResult } from './announce';
import { ResultStore } from './result-store';
import { PIPELINE_STAGE, type PipelineStageContext } from './tokens';

/**
 * A dead-lettered request still gets an answer: a `failed` result of its
 * pipeline (schema and failed-result fields from the definition) in Redis and
 * on the results topic, with the stage and reason, so a waiting producer
 * always hears back. A request whose id is unreadable cannot be answered; its
 * dead letter is all there is.
 */
@Injectable()
export class FailedResultHook implements DeadLetterHook {
  constructor(
    private readonly results: ResultStore,
    @Inject(PIPELINE_STAGE) private readonly context: PipelineStageContext,
  ) {}

  async onDeadLetter(event: DeadLetterEvent): Promise<StageResult> {
    if (!event.requestId || !isValidRequestId(event.requestId)) return undefined;
    const { output } = this.context.pipeline;
    const result = failedResultEnvelope(
      output.resultSchema,
      event.requestId,
      { code: event.error.code, message: event.error.message, stage: event.stage },
      event.timings,
      output.failedFields,
      new Date(),
      // Up to and including this stage, which failed it.
      event.versions.length > 0 ? event.versions : undefined,
    );
    return publishResult(result, this.results);
  }
}
