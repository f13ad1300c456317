/**
 * The OCR result: what a producer finds on `ocr.results` and in Redis under
 * `conveyor:result:<id>`. The `schema` field names the version so a reader
 * can tell v1 from whatever follows; v1 readers ignore unknown fields.
 */
import { z } from 'zod';
import { ContractError } from './errors';
import { assertValidRequestId, isValidRequestId } from './request-id';

export const OCR_RESULT_SCHEMA = 'conveyor.ocr.result.v1';
export const RESULT_REDIS_KEY_PREFIX = 'conveyor:result:';

const RequestIdSchema = z.string().refine(isValidRequestId, {
  message: 'must be 1-256 visible ASCII characters',
});

/** A corner [x, y] in pixels of the input image as submitted. */
export const PointSchema = z.tuple([z.number(), z.number()]);

export const OcrLineSchema = z.object({
  text: z.string(),
  confidence: z.number().min(0).max(1),
  /** Corners clockwise from top-left of the text as read. */
  box: z.tuple([PointSchema, PointSchema, PointSchema, PointSchema]),
});

export const OcrErrorSchema = z.object({
  code: z.string().min(1),
  message: z.string(),
  stage: z.string().min(1),
});

export const StageTimingsSchema = z.record(z.string(), z.number().nonnegative());

const resultFields = {
  schema: z.literal(OCR_RESULT_SCHEMA),
  id: RequestIdSchema,
  lines: z.array(OcrLineSchema),
  timings: StageTimingsSchema,
  completedAt: z.iso.datetime({ offset: true }),
};

export const OcrResultSchema = z.discriminatedUnion('status', [
  z.object({ ...resultFields, status: z.literal('ok'), error: z.undefined().optional() }),
  z.object({ ...resultFields, status: z.literal('failed'), error: OcrErrorSchema }),
]);

export type OcrResult = z.infer<typeof OcrResultSchema>;
export type OcrLine = z.infer<typeof OcrLineSchema>;
export type OcrError = z.infer<typeof OcrErrorSchema>;

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path
        .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
        .join('');
      return `${path || '(root)'}: ${issue.message}`;
    })
    .join('; ');
}

/** Validates a decoded JSON value as an OCR result; throws INVALID_RESULT listing every problem with its path. */
export function parseOcrResult(json: unknown): OcrResult {
  const parsed = OcrResultSchema.safeParse(json);
  if (!parsed.success) throw new ContractError('INVALID_RESULT', `invalid OCR result: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/** parseOcrResult over the raw bytes of a message value or Redis string. */
export function decodeOcrResult(raw: string | Uint8Array): OcrResult {
  const text = typeof raw === 'string' ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ContractError('INVALID_RESULT', `invalid OCR result: not JSON (${(error as Error).message})`);
  }
  return parseOcrResult(json);
}

/** Validated JSON text of a result, as written to Redis and `ocr.results`. */
export function encodeOcrResult(result: OcrResult): string {
  return JSON.stringify(parseOcrResult(result));
}

export function resultRedisKey(id: string): string {
  return RESULT_REDIS_KEY_PREFIX + assertValidRequestId(id);
}

export const ANNOUNCED_REDIS_KEY_PREFIX = 'conveyor:announced:';

/** Marker that a request's result was acknowledged on the results topic (so a redelivery does not announce it again). */
export function announcedRedisKey(id: string): string {
  return ANNOUNCED_REDIS_KEY_PREFIX + assertValidRequestId(id);
}

/** Every Redis key a request's result leaves behind (for clean-ups). */
export function resultRedisKeys(id: string): [string, string] {
  return [resultRedisKey(id), announcedRedisKey(id)];
}

export function okResult(id: string, lines: OcrLine[], timings: Record<string, number>, now = new Date()): OcrResult {
  return parseOcrResult({
    schema: OCR_RESULT_SCHEMA,
    id,
    status: 'ok',
    lines,
    timings,
    completedAt: now.toISOString(),
  });
}

/** The result a dead-lettered request gets, so a waiting producer always hears back (DESIGN.md §3). */
export function failedResult(
  id: string,
  error: OcrError,
  timings: Record<string, number>,
  now = new Date(),
): OcrResult {
  return parseOcrResult({
    schema: OCR_RESULT_SCHEMA,
    id,
    status: 'failed',
    lines: [],
    error,
    timings,
    completedAt: now.toISOString(),
  });
}
