import { applyDecorators, UseFilters } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { PreserveErrorFilter } from './preserve-error.filter';
import type { BatchOptions } from './micro-batcher';

/**
 * The logical topics a handler names: the runtime binds them to the topics the
 * pipeline definition gives this stage, so one handler serves any pipeline.
 */
export const STAGE_INPUT = 'input';
export const STAGE_OUTPUT = 'output';

/** A second output of a stage with several (`outputs: { <name>: topic }` in the pipeline definition). */
export function namedOutput(name: string): string {
  return `${STAGE_OUTPUT}.${name}`;
}

/** Key under which a handler's stage options travel in Nest's pattern extras. */
export const STAGE_OPTIONS_KEY = 'conveyorStage';

export interface StageHandlerOptions {
  /**
   * Ask for batches across messages: the handler then receives `StageMessage[]`
   * and returns one `StageResult | Error` per message, in order.
   */
  batch?: BatchOptions;
}

/**
 * Declares a stage step: `@StageHandler() handle(@Payload() m: StageMessage)`
 * consumes the stage's input topic; a topic name may be given instead.
 * It is Nest's own `@EventPattern`, so pipes, guards, interceptors and filters
 * apply as usual; the Kafka stage transport reads the options from its extras.
 * The handler's errors reach the runtime unchanged (PreserveErrorFilter), so
 * their code decides between retry and dead letter.
 */
export function StageHandler(topic: string = STAGE_INPUT, options: StageHandlerOptions = {}): MethodDecorator {
  return applyDecorators(EventPattern(topic, { [STAGE_OPTIONS_KEY]: options }), UseFilters(PreserveErrorFilter));
}

export function stageOptionsOf(extras: Record<string, unknown> | undefined): StageHandlerOptions {
  const options = extras?.[STAGE_OPTIONS_KEY];
  return (options ?? {}) as StageHandlerOptions;
}
