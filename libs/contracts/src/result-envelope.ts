/**
 * The result envelope every pipeline's results share: what a producer finds on
 * a pipeline's results topic and in Redis under its result key. A pipeline adds
 * its own fields (OCR: `lines`; redaction: `regions`, `image`) in its own
 * contract; the platform writes failed results with the envelope alone plus
 * the fields the pipeline declares for failures. `schema` names the pipeline
 * and version; readers ignore fields they do not know.
 */
import { z } from 'zod';
import { ContractError } from './errors';
import { assertValidRequestId, isValidRequestId } from './request-id';
import { StageVersionsSchema, type StageVersion } from './versions';

/** Redis key prefix of the reference (OCR) pipeline's results; other pipelines use `conveyor:<pipeline>:result:`. */
export const RESULT_REDIS_KEY_PREFIX = 'conveyor:result:';
export const ANNOUNCED_REDIS_KEY_PREFIX = 'conveyor:announced:';

export const RequestIdSchema = z.string().refine(isValidRequestId, { message: 'must be 1-256 visible ASCII characters' });

export const ResultErrorSchema = z.object({
  code: z.string().min(1),
  message: z.string(),
  stage: z.string().min(1),
});

export const StageTimingsSchema = z.record(z.string(), z.number().nonnegative());

/** The envelope's fields, for pipeline contracts to extend. */
export const resultEnvelopeFields = {
  schema: z.string().min(1),
  id: RequestIdSchema,
  timings: StageTimingsSchema,
  completedAt: z.iso.datetime({ offset: true }),
  /**
   * Which versions produced the result, one entry per stage in pipeline order
   * (a failed result: up to the stage that failed). Optional: results stored
   * before versions were recorded have none (docs/architecture.md, "Versions").
   */
  versions: StageVersionsSchema.optional(),
};

/** Any pipeline's result: the envelope checked, its own fields kept as they are. */
export const ResultEnvelopeSchema = z.discriminatedUnion('status', [
  z.looseObject({ ...resultEnvelopeFields, status: z.literal('ok'), error: z.undefined().optional() }),
  z.looseObject({ ...resultEnvelopeFields, status: z.literal('failed'), error: ResultErrorSchema }),
]);

export type ResultEnvelope = z.infer<typeof ResultEnvelopeSchema>;
export type ResultError = z.infer<typeof ResultErrorSchema>;

/** `path: message; …` for every issue of a failed parse. */
export function describeZodIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path
        .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
        .join('');
      return `${path || '(root)'}: ${issue.message}`;
    })
    .join('; ');
}

export function parseResultEnvelope(json: unknown): ResultEnvelope {
  const parsed = ResultEnvelopeSchema.safeParse(json);
  if (!parsed.success) throw new ContractError('INVALID_RESULT', `invalid result: ${describeZodIssues(parsed.error)}`);
  return parsed.data;
}

/** JSON text (a message value or Redis string) → parsed JSON, INVALID_RESULT when it is not JSON. */
export function parseResultJson(raw: string | Uint8Array): unknown {
  const text = typeof raw === 'string' ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ContractError('INVALID_RESULT', `invalid result: not JSON (${(error as Error).message})`);
  }
}

/**
 * The result a dead-lettered request gets, so a waiting producer always hears
 * back (docs/architecture.md, "Dead letters"). `fields` are the pipeline's own
 * fields of a failed result (OCR: `lines: []`).
 */
export function failedResultEnvelope(
  schema: string,
  id: string,
  error: ResultError,
  timings: Record<string, number>,
  fields: Record<string, unknown> = {},
  now = new Date(),
  versions?: readonly StageVersion[],
): ResultEnvelope {
  return parseResultEnvelope({ ...fields, schema, id, status: 'failed', error, timings, completedAt: now.toISOString(), ...(versions ? { versions } : {}) });
}

/** Where a request's result is kept in Redis (`prefix` from the pipeline definition). */
export function resultRedisKey(id: string, prefix: string = RESULT_REDIS_KEY_PREFIX): string {
  return prefix + assertValidRequestId(id);
}

/**
 * Marker that a request's result was acknowledged on its results topic, so a
 * redelivery does not announce it again; per result key prefix, so pipelines
 * sharing a request id do not share the marker.
 */
export function announcedRedisKey(id: string, prefix: string = RESULT_REDIS_KEY_PREFIX): string {
  const scope = prefix === RESULT_REDIS_KEY_PREFIX ? '' : prefix;
  return ANNOUNCED_REDIS_KEY_PREFIX + scope + assertValidRequestId(id);
}

/** Every Redis key a request's result leaves behind (for clean-ups). */
export function resultRedisKeys(id: string, prefix: string = RESULT_REDIS_KEY_PREFIX): [string, string] {
  return [resultRedisKey(id, prefix), announcedRedisKey(id, prefix)];
}
