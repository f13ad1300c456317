import type { KafkaHeaders } from '@conveyor/contracts';
import type { ClassifiedError } from './stage-error';
import type { MessageOrigin, StageResult } from './stage-message';

export type MessageOutcome = 'ok' | 'dead-lettered';

/**
 * Where tracing and metrics attach to the runtime. Every method is optional;
 * the runtime never depends on what an observer does.
 */
export interface StageObserver {
  /** Runs one message's work, e.g. inside the trace context from its headers. */
  aroundMessage?<T>(headers: KafkaHeaders, origin: MessageOrigin, work: () => Promise<T>): Promise<T>;
  messageReceived?(origin: MessageOrigin): void;
  messageSettled?(origin: MessageOrigin, outcome: MessageOutcome, durationMs: number, outputs: number): void;
  messageRetried?(origin: MessageOrigin, error: ClassifiedError, attempt: number): void;
  batchRun?(topic: string, size: number, durationMs: number): void;
  inFlightChanged?(inFlight: number, queued: number): void;
}

/** What a dead-letter hook learns about a failed message (after the DLQ has it). */
export interface DeadLetterEvent {
  /** `ce_id` if the headers had one, else the message key, else undefined. */
  requestId: string | undefined;
  origin: MessageOrigin;
  error: ClassifiedError;
  stage: string;
  attempts: number;
  timings: Record<string, number>;
}

/**
 * Lets a pipeline answer a dead-lettered request, e.g. with a `failed` result,
 * so a waiting producer always hears back. Outputs it returns are published
 * like a handler's (for a request whose id is known).
 */
export interface DeadLetterHook {
  onDeadLetter(event: DeadLetterEvent): Promise<StageResult>;
}
