import { cloudEventSource, newRequestId, resultRedisKey, toCloudEventHeaders, type ResultEnvelope } from '@conveyor/contracts';
import { resultKeyPrefix, topicName, type PipelineDefinition } from '@conveyor/pipeline';
import { connectRedisOnce } from '@conveyor/platform';
import { decodeOcrResult, decodeRedactResult, ocrPipeline, redactPipeline, type OcrResult, type RedactResult } from '@conveyor/pipelines';
import type Redis from 'ioredis';
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';

export interface OcrClientOptions {
  brokers: string[];
  redisUrl: string;
  topicPrefix?: string;
  clientId?: string;
  /** How long connecting to Kafka and Redis may take before the platform counts as unreachable. */
  connectTimeoutMs?: number;
  /** Largest image `submit` sends (default: MAX_IMAGE_BYTES from the environment, else 20 MiB). */
  maxImageBytes?: number;
}

/**
 * The largest encoded image the pipelines accept: the preprocess stage's
 * MAX_IMAGE_BYTES default (a test keeps the two equal). The input topics'
 * `max.message.bytes` is this plus 64 KiB for headers and batch framing.
 */
export const DEFAULT_MAX_IMAGE_BYTES = 20 * 1024 * 1024;

export class InvalidImageLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidImageLimitError';
  }
}

/** MAX_IMAGE_BYTES as the preprocess stage reads it (a positive integer), or the default. */
export function maxImageBytesFromEnv(env: Record<string, string | undefined> = process.env): number {
  const raw = env['MAX_IMAGE_BYTES']?.trim();
  if (!raw) return DEFAULT_MAX_IMAGE_BYTES;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidImageLimitError(`MAX_IMAGE_BYTES must be a positive integer (bytes), got "${raw}"`);
  }
  return value;
}

/** "8.4 MiB (8808038 bytes)" */
export function formatBytes(bytes: number): string {
  const size = bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
  return `${size} (${bytes} bytes)`;
}

/** An image over the input limit: refused before anything is sent. */
export class ImageTooLargeError extends Error {
  constructor(
    readonly bytes: number,
    readonly limit: number,
    what = 'the image',
  ) {
    super(`${what} is ${formatBytes(bytes)}, over the input limit of ${formatBytes(limit)} (MAX_IMAGE_BYTES)`);
    this.name = 'ImageTooLargeError';
  }
}

/**
 * Kafka refused a request as too large for its topic: the topic's
 * `max.message.bytes` is lower than the pipeline definition's (say, a topic
 * created by an older version; `npm start` aligns it).
 */
export class TopicRefusedImageError extends Error {
  constructor(topic: string, bytes: number, options?: { cause?: unknown }) {
    super(
      `Kafka refused the ${formatBytes(bytes)} image: topic ${topic} takes smaller messages than the pipeline definition says ` +
        '(its max.message.bytes); `npm start` applies the definition\'s topic configs',
      options,
    );
    this.name = 'TopicRefusedImageError';
  }
}

/** Kafka or Redis could not be reached: the CLI's "platform unreachable" exit. */
/**
 * One request as the pipeline's input contract wants it on Kafka: the request
 * id as key and CloudEvent id, the image as value, the pipeline's event type,
 * `ce_source` `/conveyor/<source>`, the time of sending, the content type, and
 * the caller's W3C `traceparent` when given.
 */
export function requestMessage(
  pipeline: PipelineDefinition,
  request: { id: string; image: Buffer; contentType: string; source: string; traceparent?: string },
): { key: string; value: Buffer; headers: Record<string, string> } {
  const { id, image, contentType, source, traceparent } = request;
  return {
    key: id,
    value: image,
    headers: toCloudEventHeaders({
      specversion: '1.0',
      id,
      source: cloudEventSource(source),
      type: pipeline.input.eventType,
      time: new Date().toISOString(),
      contentType,
      ...(traceparent ? { traceparent } : {}),
    }),
  };
}

export class PlatformUnreachableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PlatformUnreachableError';
  }
}

export interface SubmittedImage {
  id: string;
  bytes: number;
}

/**
 * A producer of a pipeline's requests, written as any producer would be: a
 * plain Kafka client publishing the image bytes as a binary-mode CloudEvent to
 * the pipeline's input topic, then reading the result from Redis by request
 * id. Topic, event type and result key come from the pipeline definition.
 */
export class PipelineClient<R extends ResultEnvelope> {
  private constructor(
    private readonly producer: Producer,
    private readonly redis: Redis,
    private readonly topic: string,
    private readonly pipeline: PipelineDefinition,
    private readonly decode: (raw: string) => R,
    /** Largest image `submit` sends. */
    readonly maxImageBytes: number,
  ) {}

  static async connect<R extends ResultEnvelope>(
    options: OcrClientOptions,
    pipeline: PipelineDefinition,
    decode: (raw: string) => R,
  ): Promise<PipelineClient<R>> {
    const maxImageBytes = options.maxImageBytes ?? maxImageBytesFromEnv();
    const timeout = options.connectTimeoutMs ?? 10_000;
    const kafka = new Kafka({
      clientId: options.clientId ?? 'conveyor-cli',
      brokers: options.brokers,
      logLevel: logLevel.NOTHING,
      connectionTimeout: Math.min(timeout, 5_000),
      retry: { retries: 2, maxRetryTime: timeout },
    });
    const producer = kafka.producer({ idempotent: true, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
    // The producer is not connected yet: an unreachable Redis leaves nothing to close.
    const redis = await connectRedisOnce(options.redisUrl, (message, cause) => new PlatformUnreachableError(message, { cause }), timeout);
    try {
      await producer.connect();
    } catch (error) {
      redis.disconnect();
      throw new PlatformUnreachableError(`Kafka at ${options.brokers.join(',')} is unreachable: ${(error as Error).message}`, { cause: error });
    }
    return new PipelineClient(producer, redis, topicName(pipeline, pipeline.input.topic, options.topicPrefix ?? ''), pipeline, decode, maxImageBytes);
  }

  /**
   * Publishes one image; resolves with its request id once Kafka acknowledged it.
   * `traceparent` (W3C) makes the request's trace continue the caller's.
   * An image over `maxImageBytes` is refused (ImageTooLargeError) before anything is sent.
   */
  async submit(image: Buffer, contentType: string, options: { id?: string; traceparent?: string } = {}): Promise<SubmittedImage> {
    if (image.length > this.maxImageBytes) throw new ImageTooLargeError(image.length, this.maxImageBytes);
    const id = options.id ?? newRequestId();
    try {
      await this.producer.send({
        topic: this.topic,
        acks: -1,
        messages: [
          requestMessage(this.pipeline, { id, image, contentType, source: 'cli', traceparent: options.traceparent }),
        ],
      });
    } catch (error) {
      if ((error as { type?: string }).type === 'MESSAGE_TOO_LARGE') throw new TopicRefusedImageError(this.topic, image.length, { cause: error });
      throw error;
    }
    return { id, bytes: image.length };
  }

  private resultKey = (id: string): string => resultRedisKey(id, resultKeyPrefix(this.pipeline));

  async result(id: string): Promise<R | undefined> {
    const raw = await this.redis.get(this.resultKey(id));
    return raw === null ? undefined : this.decode(raw);
  }

  /** Bytes a result refers to by Redis key (the redaction pipeline's PNG). */
  async blob(key: string): Promise<Buffer | undefined> {
    return (await this.redis.getBuffer(key)) ?? undefined;
  }

  /**
   * Waits for the results of `ids` (polling Redis in batches), calling
   * `onResult` as each arrives. Ids still without a result at the deadline are
   * left out of the returned map.
   */
  async waitForResults(
    ids: readonly string[],
    options: { timeoutMs: number; pollMs?: number; onResult?: (result: R) => void },
  ): Promise<Map<string, R>> {
    const results = new Map<string, R>();
    const deadline = Date.now() + options.timeoutMs;
    let waiting = [...ids];
    while (waiting.length > 0) {
      for (let i = 0; i < waiting.length; i += 500) {
        const chunk = waiting.slice(i, i + 500);
        const raws = await this.redis.mget(...chunk.map(this.resultKey));
        raws.forEach((raw, j) => {
          if (raw === null) return;
          const result = this.decode(raw);
          results.set(chunk[j], result);
          options.onResult?.(result);
        });
      }
      waiting = waiting.filter((id) => !results.has(id));
      if (waiting.length === 0 || Date.now() >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 100));
    }
    return results;
  }

  async close(): Promise<void> {
    await this.producer.disconnect().catch(() => undefined);
    this.redis.disconnect();
  }
}

/** A client of the OCR pipeline. */
export type OcrClient = PipelineClient<OcrResult>;
export const OcrClient = {
  connect: (options: OcrClientOptions): Promise<OcrClient> => PipelineClient.connect(options, ocrPipeline, decodeOcrResult),
};

/** A client of the redaction pipeline. */
export type RedactClient = PipelineClient<RedactResult>;
export const RedactClient = {
  connect: (options: OcrClientOptions): Promise<RedactClient> => PipelineClient.connect(options, redactPipeline, decodeRedactResult),
};
