/**
 * The redaction pipeline's own contract. Its result is the platform's result
 * envelope plus the redacted regions and where the redacted PNG is: the image
 * itself is kept in Redis under `conveyor:redact:image:<id>` (a claim check;
 * it is usually far over Kafka's message limit), for as long as the result.
 */
import { assertValidRequestId, ContractError, describeZodIssues, parseResultJson, ResultErrorSchema, resultEnvelopeFields } from '@conveyor/contracts';
import { topicName } from '@conveyor/pipeline';
import { z } from 'zod';
import { redactPipeline } from './pipeline';

export const REDACT_RESULT_SCHEMA = 'conveyor.redact.result.v1';
export const REDACTED_IMAGE_KEY_PREFIX = 'conveyor:redact:image:';

export const RedactEventTypes = {
  request: redactPipeline.input.eventType,
  regions: 'conveyor.redact.regions.v1',
  result: REDACT_RESULT_SCHEMA,
} as const;

/** The redaction input and results topics with TOPIC_PREFIX applied. */
export function redactTopics(prefix = ''): { requests: string; results: string } {
  return { requests: topicName(redactPipeline, 'requests', prefix), results: topicName(redactPipeline, 'results', prefix) };
}

const Point = z.tuple([z.number(), z.number()]);

export const RedactedRegionSchema = z.object({
  /** Corners clockwise from top-left, in pixels of the redacted image. */
  box: z.tuple([Point, Point, Point, Point]),
});

export const RedactedImageSchema = z.object({
  contentType: z.literal('image/png'),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  bytes: z.number().int().positive(),
  /** Redis key of the PNG bytes. */
  redisKey: z.string().min(1),
});

const fields = { ...resultEnvelopeFields, schema: z.literal(REDACT_RESULT_SCHEMA), regions: z.array(RedactedRegionSchema) };

export const RedactResultSchema = z.discriminatedUnion('status', [
  z.object({ ...fields, status: z.literal('ok'), image: RedactedImageSchema, error: z.undefined().optional() }),
  z.object({ ...fields, status: z.literal('failed'), image: z.undefined().optional(), error: ResultErrorSchema }),
]);

export type RedactResult = z.infer<typeof RedactResultSchema>;
export type RedactedRegion = z.infer<typeof RedactedRegionSchema>;

export function parseRedactResult(json: unknown): RedactResult {
  const parsed = RedactResultSchema.safeParse(json);
  if (!parsed.success) throw new ContractError('INVALID_RESULT', `invalid redaction result: ${describeZodIssues(parsed.error)}`);
  return parsed.data;
}

export function decodeRedactResult(raw: string | Uint8Array): RedactResult {
  return parseRedactResult(parseResultJson(raw));
}

/**
 * Where the redacted PNG of a request is kept. `resultKeyPrefix`: a result key prefix other than the definition's
 * (RESULT_KEY_PREFIX, a shadow's), under which the image goes too (`<prefix>image:<id>`), so a shadow never
 * overwrites a live image.
 */
export function redactedImageKey(id: string, resultKeyPrefix?: string): string {
  return (resultKeyPrefix === undefined ? REDACTED_IMAGE_KEY_PREFIX : `${resultKeyPrefix}image:`) + assertValidRequestId(id);
}
