import { failedResult, isValidRequestId } from '@conveyor/contracts';
import type { DeadLetterEvent, DeadLetterHook, StageResult } from '@conveyor/stage-runtime';
import { Injectable } from '@nestjs/common';
import { announce } from './announce';
import { ResultStore } from './result-store';

/**
 * A dead-lettered request still gets an answer: a `failed` result in Redis
 * and on ocr.results, with the stage and reason, so a waiting producer always
 * hears back (DESIGN §3). A request whose id is unreadable cannot be answered;
 * its dead letter is all there is.
 */
@Injectable()
export class FailedResultHook implements DeadLetterHook {
  constructor(private readonly results: ResultStore) {}

  async onDeadLetter(event: DeadLetterEvent): Promise<StageResult> {
    if (!event.requestId || !isValidRequestId(event.requestId)) return undefined;
    const result = failedResult(
      event.requestId,
      { code: event.error.code, message: event.error.message, stage: event.stage },
      event.timings,
    );
    const stored = await this.results.storeOnce(result);
    return stored.needsAnnouncing ? announce(stored.result, this.results) : undefined;
  }
}
