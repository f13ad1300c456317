import {
  ConveyorHeader,
  encodeSafetensors,
  formatVersions,
  toCloudEventHeaders,
  withTiming,
  type CloudEventAttributes,
  type StageVersion,
} from '@conveyor/contracts';
import type { Message } from 'kafkajs';
import type { ClaimCheckStore } from './claim-check';
import type { StageOutput } from './stage-message';
import { StageError } from './stage-error';

export const SAFETENSORS_CONTENT_TYPE = 'application/vnd.safetensors';

/** What an output inherits from the request it answers. */
export interface OutboundContext {
  id: string;
  traceparent?: string;
  tracestate?: string;
  timings: Readonly<Record<string, number>>;
  /** The versions to carry on (`conveyor-versions`): upstream ones plus this stage's entry; absent: no header. */
  versions?: readonly StageVersion[];
}

export interface OutboundLimits {
  /** Payloads larger than this go to the claim-check store. */
  claimCheckThresholdBytes: number;
  /** Hard limit for a message sent inline (the broker's message.max.bytes minus headroom). */
  maxMessageBytes: number;
}

/**
 * Builds the Kafka message for one output of `input`: same key and `ce_id`,
 * trace headers passed on, this stage's time added to `conveyor-timings`,
 * the versions so far (this stage's included) in `conveyor-versions`.
 * Oversize payloads are claim-checked; when that is impossible the output
 * fails fast with PAYLOAD_TOO_LARGE instead of hanging in the producer.
 */
export async function buildOutbound(
  output: StageOutput,
  input: OutboundContext,
  stage: string,
  stageMs: number,
  limits: OutboundLimits,
  claims: ClaimCheckStore | undefined,
  now: Date = new Date(),
): Promise<Message> {
  const payload = output.tensors ? encodeSafetensors(output.tensors) : (output.value ?? Buffer.alloc(0));
  const contentType = output.contentType ?? (output.tensors ? SAFETENSORS_CONTENT_TYPE : 'application/octet-stream');
  const event: CloudEventAttributes = {
    specversion: '1.0',
    id: input.id,
    source: `/conveyor/${stage}`,
    type: output.type,
    time: now.toISOString(),
    contentType,
    ...(input.traceparent ? { traceparent: input.traceparent } : {}),
    ...(input.tracestate ? { tracestate: input.tracestate } : {}),
  };
  const headers: Record<string, string | Buffer> = {
    ...toCloudEventHeaders(event),
    [ConveyorHeader.timings]: JSON.stringify(withTiming({ ...input.timings }, stage, stageMs)),
    ...(input.versions && input.versions.length > 0 ? { [ConveyorHeader.versions]: formatVersions(input.versions) } : {}),
    ...(output.headers ?? {}),
  };
  let value: Buffer = payload;
  if (payload.length > limits.claimCheckThresholdBytes) {
    if (!claims) {
      throw new StageError('PAYLOAD_TOO_LARGE', `output for ${output.topic ?? "the output topic"} is ${payload.length} bytes, over the claim-check threshold, and no claim-check store is configured`);
    }
    headers[ConveyorHeader.claim] = await claims.put(payload);
    value = Buffer.alloc(0);
  } else if (payload.length > limits.maxMessageBytes) {
    throw new StageError('PAYLOAD_TOO_LARGE', `output for ${output.topic ?? "the output topic"} is ${payload.length} bytes; the limit for inline messages is ${limits.maxMessageBytes}`);
  }
  return { key: input.id, value, headers };
}
