import { ContractError } from './errors';

/**
 * Kafka's default message limit (message.max.bytes / max.request.size is
 * 1 MiB). A payload over it must fail fast with a name, not hang a producer
 * in retries (docs/architecture.md, "Kafka").
 */
export const KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;

/** Throws PAYLOAD_TOO_LARGE when `byteLength` exceeds `maxBytes`; `what` says which payload ("value for ocr.regions"). */
export function assertPayloadSize(byteLength: number, maxBytes: number, what: string): void {
  if (byteLength > maxBytes) {
    throw new ContractError(
      'PAYLOAD_TOO_LARGE',
      `${what} is ${byteLength} bytes, over the limit of ${maxBytes} bytes by ${byteLength - maxBytes}`,
    );
  }
}
