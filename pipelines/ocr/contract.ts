/**
 * The OCR pipeline's own contract: its topics and its result. What a producer
 * finds on `ocr.results` and in Redis under `conveyor:result:<id>` is the
 * platform's result envelope (@conveyor/contracts) plus `lines`. v1 readers
 * ignore unknown fields.
 */
import { describeZodIssues, parseResultJson, ResultErrorSchema, resultEnvelopeFields, ContractError } from '@conveyor/contracts';
import { topicName } from '@conveyor/pipeline';
import { z } from 'zod';
import { ocrPipeline } from './pipeline';

export const OCR_RESULT_SCHEMA = 'conveyor.ocr.result.v1';

/** CloudEvent types of the OCR hops. */
export const OcrEventTypes = {
  request: ocrPipeline.input.eventType,
  preprocessed: 'conveyor.ocr.preprocessed.v1',
  regions: 'conveyor.ocr.regions.v1',
  recognized: 'conveyor.ocr.recognized.v1',
  result: OCR_RESULT_SCHEMA,
} as const;

/** The OCR topics (no TOPIC_PREFIX), from the pipeline definition. */
export const OcrTopics = {
  requests: topicName(ocrPipeline, 'requests'),
  results: topicName(ocrPipeline, 'results'),
} as const;

/** The OCR input and results topics with TOPIC_PREFIX applied. */
export function ocrTopics(prefix = ''): { requests: string; results: string } {
  return { requests: topicName(ocrPipeline, 'requests', prefix), results: topicName(ocrPipeline, 'results', prefix) };
}

/** A corner [x, y] in pixels of the input image as submitted. */
export const PointSchema = z.tuple([z.number(), z.number()]);

export const OcrLineSchema = z.object({
  text: z.string(),
  confidence: z.number().min(0).max(1),
  /** Corners clockwise from top-left of the text as read. */
  box: z.tuple([PointSchema, PointSchema, PointSchema, PointSchema]),
});

const resultFields = { ...resultEnvelopeFields, schema: z.literal(OCR_RESULT_SCHEMA), lines: z.array(OcrLineSchema) };

export const OcrResultSchema = z.discriminatedUnion('status', [
  z.object({ ...resultFields, status: z.literal('ok'), error: z.undefined().optional() }),
  z.object({ ...resultFields, status: z.literal('failed'), error: ResultErrorSchema }),
]);

export type OcrResult = z.infer<typeof OcrResultSchema>;
export type OcrLine = z.infer<typeof OcrLineSchema>;
export type OcrError = z.infer<typeof ResultErrorSchema>;

/** The fields a failed OCR result carries besides the envelope. */
export const OCR_FAILED_FIELDS = { lines: [] } as const;

/** Validates a decoded JSON value as an OCR result; throws INVALID_RESULT listing every problem with its path. */
export function parseOcrResult(json: unknown): OcrResult {
  const parsed = OcrResultSchema.safeParse(json);
  if (!parsed.success) throw new ContractError('INVALID_RESULT', `invalid OCR result: ${describeZodIssues(parsed.error)}`);
  return parsed.data;
}

/** parseOcrResult over the raw bytes of a message value or Redis string. */
export function decodeOcrResult(raw: string | Uint8Array): OcrResult {
  let json: unknown;
  try {
    json = parseResultJson(raw);
  } catch (error) {
    throw new ContractError('INVALID_RESULT', (error as Error).message.replace('invalid result', 'invalid OCR result'));
  }
  return parseOcrResult(json);
}

/** Validated JSON text of a result, as written to Redis and `ocr.results`. */
export function encodeOcrResult(result: OcrResult): string {
  return JSON.stringify(parseOcrResult(result));
}

export function okResult(id: string, lines: OcrLine[], timings: Record<string, number>, now = new Date()): OcrResult {
  return parseOcrResult({ schema: OCR_RESULT_SCHEMA, id, status: 'ok', lines, timings, completedAt: now.toISOString() });
}

/** The result a dead-lettered request gets, so a waiting producer always hears back. */
export function failedResult(id: string, error: OcrError, timings: Record<string, number>, now = new Date()): OcrResult {
  return parseOcrResult({ schema: OCR_RESULT_SCHEMA, id, status: 'failed', ...OCR_FAILED_FIELDS, error, timings, completedAt: now.toISOString() });
}
