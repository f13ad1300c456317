import { deadLetterHeaders } from '@conveyor/contracts';
import type { KafkaMessage, Message } from 'kafkajs';
import type { ClassifiedError } from './stage-error';
import type { MessageOrigin } from './stage-message';

/** Codes travel in a header restricted to [A-Za-z0-9_.-]; anything else becomes INTERNAL. */
function safeCode(code: string): string {
  return /^[A-Za-z0-9_.-]{1,64}$/.test(code) ? code : 'INTERNAL';
}

/**
 * The dead letter for a message: its original key, value and headers, plus
 * why it failed, where, after how many attempts, and where it came from, so an
 * operator can inspect and replay it.
 */
export function buildDeadLetter(
  original: KafkaMessage,
  origin: MessageOrigin,
  error: ClassifiedError,
  stage: string,
  attempts: number,
): Message {
  const headers: Record<string, Buffer | string | (Buffer | string)[]> = {};
  for (const [name, value] of Object.entries(original.headers ?? {})) {
    if (value !== undefined) headers[name] = value;
  }
  Object.assign(headers, deadLetterHeaders({ code: safeCode(error.code), message: error.message, stage, attempts, origin }));
  return { key: original.key, value: original.value, headers };
}
