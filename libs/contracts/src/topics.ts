import { ContractError, quote } from './errors';

/** The reference pipeline's topics, in pipeline order (DESIGN.md §1). */
export const OcrTopics = {
  requests: 'ocr.requests',
  preprocessed: 'ocr.preprocessed',
  regions: 'ocr.regions',
  recognized: 'ocr.recognized',
  results: 'ocr.results',
} as const;

export type OcrTopicName = keyof typeof OcrTopics;

/** The OCR stages in pipeline order, each with the topic it consumes (its dead letters go to `<topic>.dlq`). */
export const OcrStageInputs = {
  preprocess: OcrTopics.requests,
  features: OcrTopics.preprocessed,
  inference: OcrTopics.regions,
  postprocess: OcrTopics.recognized,
} as const;

export type OcrStageName = keyof typeof OcrStageInputs;

export const OCR_STAGE_NAMES = Object.keys(OcrStageInputs) as readonly OcrStageName[];

export function isOcrStageName(name: string): name is OcrStageName {
  return Object.hasOwn(OcrStageInputs, name);
}
export type OcrTopic = (typeof OcrTopics)[OcrTopicName];

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

/** Every OCR topic with `prefix` applied; `ocrTopics('')` equals OcrTopics. */
export function ocrTopics(prefix = ''): { readonly [K in OcrTopicName]: string } {
  return {
    requests: prefixedTopic(prefix, OcrTopics.requests),
    preprocessed: prefixedTopic(prefix, OcrTopics.preprocessed),
    regions: prefixedTopic(prefix, OcrTopics.regions),
    recognized: prefixedTopic(prefix, OcrTopics.recognized),
    results: prefixedTopic(prefix, OcrTopics.results),
  };
}
