import type { KafkaHeaders, StageVersion } from '@conveyor/contracts';
import type { ClassifiedError } from './stage-error';
import type { MessageOrigin, StageResult } from './stage-message';

export type MessageOutcome = 'ok' | 'dead-lettered';

/** A step of one message's processing that the runtime itself performs. */
export type RuntimeStep = 'decode' | 'produce' | 'dead-letter';

/** What the transport tells an observer once it is consuming. */
export interface ConsumerInfo {
  stage: string;
  groupId: string;
  topics: string[];
  brokers: string[];
  clientId: string;
}

/**
 * Where tracing and metrics attach to the runtime. Every method is optional;
 * the runtime never depends on what an observer does, and an observer that
 * throws from a notification is ignored (it must not fail a message).
 */
export interface StageObserver {
  /** Runs one message's whole processing, e.g. in a consume span continuing the trace in its headers. */
  aroundMessage?<T>(headers: KafkaHeaders, origin: MessageOrigin, work: () => Promise<T>): Promise<T>;
  /** Runs one runtime step of the current message (e.g. as a child span). */
  aroundStep?<T>(step: RuntimeStep, attributes: Record<string, string | number>, work: () => Promise<T>): Promise<T>;
  /** Trace headers for outputs produced now (called inside the produce step); they replace the input's. */
  outgoingTraceHeaders?(): Record<string, string>;
  consuming?(info: ConsumerInfo): void;
  stopped?(): void;
  messageReceived?(origin: MessageOrigin): void;
  messageSettled?(origin: MessageOrigin, outcome: MessageOutcome, durationMs: number, outputs: number): void;
  messageRetried?(origin: MessageOrigin, error: ClassifiedError, attempt: number): void;
  messageDeadLettered?(origin: MessageOrigin, error: ClassifiedError): void;
  outputsProduced?(topic: string, count: number): void;
  batchRun?(topic: string, size: number, durationMs: number): void;
  inFlightChanged?(inFlight: number, queued: number): void;
  /** Lag seen at fetch time: high watermark minus the batch's last offset, per partition. */
  partitionLag?(topic: string, partition: number, lag: number): void;
  /** The partitions this member was assigned when it (re)joined its group, by topic (every rebalance). */
  partitionsAssigned?(assignment: Readonly<Record<string, readonly number[]>>): void;
  clientError?(client: 'kafka' | 'redis', error: unknown): void;
  /**
   * The dead-letter hook (or publishing its outputs) failed after the dead
   * letter was acknowledged. The message still counts as dead-lettered and is
   * committed: retrying it would write a second dead letter.
   */
  deadLetterHookFailed?(origin: MessageOrigin, error: unknown): void;
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
  /** The versions of the stages the request passed, this (failing) stage's included. */
  versions: StageVersion[];
}

/**
 * Lets a pipeline answer a dead-lettered request, e.g. with a `failed` result,
 * so a waiting producer always hears back. Outputs it returns are published
 * like a handler's (for a request whose id is known).
 */
export interface DeadLetterHook {
  onDeadLetter(event: DeadLetterEvent): Promise<StageResult>;
}
