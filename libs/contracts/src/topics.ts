import { ContractError, quote } from './errors';

export const DEAD_LETTER_SUFFIX = '.dlq';

/** Kafka's own limit (kafka.common.internals.Topic: 249 = 255 minus room for partition suffixes). */
export const MAX_TOPIC_NAME_LENGTH = 249;

const LEGAL_TOPIC_CHARS = /^[A-Za-z0-9._-]+$/;

/** Whether Kafka would accept `name` as a topic: [A-Za-z0-9._-], 1..249 chars, not "." or "..". */
export function isValidTopicName(name: string): boolean {
  return (
    typeof name === 'string' &&
    name.length > 0 &&
    name.length <= MAX_TOPIC_NAME_LENGTH &&
    name !== '.' &&
    name !== '..' &&
    LEGAL_TOPIC_CHARS.test(name)
  );
}

/** Throws INVALID_TOPIC saying which rule `name` breaks. */
export function assertValidTopicName(name: string): string {
  if (isValidTopicName(name)) return name;
  let why: string;
  if (typeof name !== 'string' || name.length === 0) why = 'it is empty';
  else if (name.length > MAX_TOPIC_NAME_LENGTH)
    why = `it is ${name.length} chars long, over Kafka's limit of ${MAX_TOPIC_NAME_LENGTH}`;
  else if (name === '.' || name === '..') why = `Kafka reserves "." and ".."`;
  else why = 'it may contain only ASCII letters, digits, ".", "_" and "-"';
  throw new ContractError('INVALID_TOPIC', `invalid Kafka topic name ${quote(name)}: ${why}`);
}

/** `<topic>.dlq`: where a stage sends what it cannot process from `topic`. */
export function deadLetterTopic(topic: string): string {
  assertValidTopicName(topic);
  return assertValidTopicName(`${topic}${DEAD_LETTER_SUFFIX}`);
}

/**
 * Applies TOPIC_PREFIX (config): tests and side-by-side pipelines share one
 * cluster by giving each its own prefix, e.g. `t42.` -> `t42.ocr.requests`.
 */
export function prefixedTopic(prefix: string, topic: string): string {
  return assertValidTopicName(`${prefix}${topic}`);
}
