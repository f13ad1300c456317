import { z } from 'zod';

/** Prometheus answered, but not with what the check needs (an error status, an unexpected shape). */
export class PrometheusApiError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PrometheusApiError';
  }
}

export interface ActiveTarget {
  scrapePool: string;
  scrapeUrl: string;
  labels: Record<string, string>;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
}

export interface VectorSample {
  labels: Record<string, string>;
  value: number;
}

// Only the fields the check reads; Prometheus adds more, which zod ignores.
const errorEnvelope = z.object({ status: z.literal('error'), errorType: z.string().optional(), error: z.string().optional() });

const targetsEnvelope = z.object({
  status: z.literal('success'),
  data: z.object({
    activeTargets: z.array(
      z.object({
        scrapePool: z.string(),
        scrapeUrl: z.string(),
        labels: z.record(z.string(), z.string()),
        health: z.enum(['up', 'down', 'unknown']),
        lastError: z.string(),
      }),
    ),
  }),
});

const vectorEnvelope = z.object({
  status: z.literal('success'),
  data: z.object({
    resultType: z.literal('vector'),
    // A sample value is [unix seconds, "number as string"]; strings keep NaN and ±Inf exact.
    result: z.array(z.object({ metric: z.record(z.string(), z.string()), value: z.tuple([z.number(), z.string()]) })),
  }),
});

function parseEnvelope<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const failed = errorEnvelope.safeParse(body);
  if (failed.success) {
    throw new PrometheusApiError(`${what}: Prometheus answered ${failed.data.errorType ?? 'error'}: ${failed.data.error ?? '(no message)'}`);
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw new PrometheusApiError(`${what}: unexpected answer (${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')})`);
  }
  return parsed.data;
}

/** The active targets out of a `GET /api/v1/targets` body. */
export function parseTargetsResponse(body: unknown): ActiveTarget[] {
  return parseEnvelope(targetsEnvelope, body, 'targets').data.activeTargets;
}

/** A sample value as Prometheus writes it: Go float text, where infinities are "+Inf"/"-Inf" (not JS's "Infinity"). */
function parseSampleValue(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const value = Number(text);
  if (text.trim() === '' || Number.isNaN(value)) throw new PrometheusApiError(`query: sample value "${text}" is not a number`);
  return value;
}

/** The samples of an instant query whose result is a vector, out of a `GET /api/v1/query` body. */
export function parseVectorResponse(body: unknown): VectorSample[] {
  return parseEnvelope(vectorEnvelope, body, 'query').data.result.map((sample) => ({ labels: sample.metric, value: parseSampleValue(sample.value[1]) }));
}

async function getJson(url: string, what: string): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  } catch (error) {
    throw new PrometheusApiError(`${what}: ${url} unreachable (${(error as Error).message})`, { cause: error });
  }
  const text = await response.text();
  try {
    // Prometheus sends a JSON error envelope with 4xx/5xx too, so the status code alone says less than the body.
    return JSON.parse(text) as unknown;
  } catch {
    throw new PrometheusApiError(`${what}: HTTP ${response.status} from ${url} is not JSON: ${text.slice(0, 200)}`);
  }
}

/** A small client for the two read endpoints the check needs. */
export class PrometheusApi {
  constructor(readonly baseUrl: string) {}

  async activeTargets(): Promise<ActiveTarget[]> {
    return parseTargetsResponse(await getJson(`${this.baseUrl}/api/v1/targets?state=active`, 'targets'));
  }

  /** An instant query; `body` is Prometheus's answer as sent, for reports. */
  async queryVector(query: string): Promise<{ samples: VectorSample[]; body: unknown }> {
    const body = await getJson(`${this.baseUrl}/api/v1/query?query=${encodeURIComponent(query)}`, 'query');
    return { samples: parseVectorResponse(body), body };
  }

  /** True once Prometheus has loaded its config and TSDB (`/-/ready` answers 200). */
  async isReady(): Promise<boolean> {
    return fetch(`${this.baseUrl}/-/ready`, { signal: AbortSignal.timeout(2_000) }).then(
      (r) => r.ok,
      () => false,
    );
  }
}
