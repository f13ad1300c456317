import type { CloudEventAttributes, KafkaHeaders, StageVersion, TensorBundle } from '@conveyor/contracts';

export interface MessageOrigin {
  topic: string;
  partition: number;
  offset: string;
}

/** What a stage handler receives: one input event, its payload already fetched. */
export interface StageMessage {
  /** The request id (`ce_id`), stable across every stage. */
  readonly id: string;
  readonly event: CloudEventAttributes;
  /** Raw Kafka headers as received (values copied out of the fetch buffer). */
  readonly headers: KafkaHeaders;
  /** The payload; a claim-checked payload is already fetched from Redis. */
  readonly value: Buffer;
  readonly origin: MessageOrigin;
  /** Milliseconds spent per earlier stage, from the `conveyor-timings` header. */
  readonly timings: Readonly<Record<string, number>>;
  /**
   * The versions of the stages before this one, in pipeline order, from the
   * `conveyor-versions` header. The runtime always sets it; optional so that
   * messages built by hand in handler tests need not (absent = none).
   */
  readonly versions?: readonly StageVersion[];
  /** 1 on first delivery to the handler, then 2, 3… on retries. */
  readonly attempt: number;
  /** The payload decoded as safetensors (decoded once, on first call). */
  tensors(): TensorBundle;
}

/** One event a stage emits. The runtime adds the CloudEvent headers. */
export interface StageOutput {
  /**
   * Where it goes: absent = the stage's output topic; `output.<name>` = a named
   * output; anything else is a topic name. The runtime applies TOPIC_PREFIX.
   */
  topic?: string;
  /** CloudEvent type, e.g. `conveyor.ocr.regions.v1`. */
  type: string;
  /** Tensors to send as safetensors, or… */
  tensors?: TensorBundle;
  /** …raw bytes with their content type. */
  value?: Buffer;
  contentType?: string;
  /** Extra headers (string values). */
  headers?: Record<string, string>;
  /** Called once the broker acknowledged the output (acks=-1). */
  onAcknowledged?: () => Promise<void>;
}

export type StageResult = StageOutput | StageOutput[] | void | undefined;

export function outputsOf(result: StageResult): StageOutput[] {
  if (!result) return [];
  return Array.isArray(result) ? result : [result];
}
