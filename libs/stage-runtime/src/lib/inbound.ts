import {
  ConveyorHeader,
  decodeSafetensors,
  headerString,
  parseCloudEventHeaders,
  parseTimings,
  parseVersions,
  type KafkaHeaders,
  type TensorBundle,
} from '@conveyor/contracts';
import type { KafkaMessage } from 'kafkajs';
import type { ClaimCheckStore } from './claim-check';
import type { MessageOrigin, StageMessage } from './stage-message';
import { StageError } from './stage-error';

/**
 * kafkajs hands out Buffers that are slices of the whole fetch response;
 * keeping one would pin that response in memory, so copy what we keep.
 */
export function copyHeaders(headers: KafkaMessage['headers']): KafkaHeaders {
  const copy: KafkaHeaders = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    copy[name] = Array.isArray(value)
      ? value.map((v) => (Buffer.isBuffer(v) ? Buffer.from(v) : v))
      : Buffer.isBuffer(value)
        ? Buffer.from(value)
        : value;
  }
  return copy;
}

/** Turns a raw Kafka message into a StageMessage, fetching a claim-checked payload. */
export async function readInbound(
  origin: MessageOrigin,
  message: KafkaMessage,
  attempt: number,
  claims: ClaimCheckStore | undefined,
): Promise<StageMessage> {
  const headers = copyHeaders(message.headers);
  const event = parseCloudEventHeaders(headers);
  const timings = parseTimings(headers);
  const versions = parseVersions(headers);
  const claimKey = headerString(headers, ConveyorHeader.claim);
  let value: Buffer;
  if (claimKey) {
    if (!claims) throw new StageError('CLAIM_CHECK_UNAVAILABLE', `message carries ${ConveyorHeader.claim} but this stage has no claim-check store`);
    value = await claims.get(claimKey);
  } else {
    value = message.value ? Buffer.from(message.value) : Buffer.alloc(0);
  }
  let decoded: TensorBundle | undefined;
  return {
    id: event.id,
    event,
    headers,
    value,
    origin,
    timings,
    versions,
    attempt,
    tensors(): TensorBundle {
      decoded ??= decodeSafetensors(value);
      return decoded;
    },
  };
}
