import {
  cloudEventSource,
  decodeOcrResult,
  newRequestId,
  OcrTopics,
  prefixedTopic,
  resultRedisKey,
  toCloudEventHeaders,
  type OcrResult,
} from '@conveyor/contracts';
import Redis from 'ioredis';
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';

export interface OcrClientOptions {
  brokers: string[];
  redisUrl: string;
  topicPrefix?: string;
  clientId?: string;
  /** How long connecting to Kafka and Redis may take before the platform counts as unreachable. */
  connectTimeoutMs?: number;
}

/** Kafka or Redis could not be reached: the CLI's "platform unreachable" exit. */
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
 * A producer of OCR requests, written as any producer would be: a plain Kafka
 * client publishing the image bytes as a binary-mode CloudEvent, then reading
 * the result from Redis by request id.
 */
export class OcrClient {
  private constructor(
    private readonly producer: Producer,
    private readonly redis: Redis,
    private readonly topic: string,
  ) {}

  static async connect(options: OcrClientOptions): Promise<OcrClient> {
    const timeout = options.connectTimeoutMs ?? 10_000;
    const kafka = new Kafka({
      clientId: options.clientId ?? 'conveyor-cli',
      brokers: options.brokers,
      logLevel: logLevel.NOTHING,
      connectionTimeout: Math.min(timeout, 5_000),
      retry: { retries: 2, maxRetryTime: timeout },
    });
    const producer = kafka.producer({ idempotent: true, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
    const redis = new Redis(options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: timeout, retryStrategy: () => null });
    try {
      await redis.connect();
    } catch (error) {
      await producer.disconnect().catch(() => undefined);
      redis.disconnect();
      throw new PlatformUnreachableError(`Redis at ${options.redisUrl} is unreachable: ${(error as Error).message}`, { cause: error });
    }
    try {
      await producer.connect();
    } catch (error) {
      redis.disconnect();
      throw new PlatformUnreachableError(`Kafka at ${options.brokers.join(',')} is unreachable: ${(error as Error).message}`, { cause: error });
    }
    return new OcrClient(producer, redis, prefixedTopic(options.topicPrefix ?? '', OcrTopics.requests));
  }

  /**
   * Publishes one image; resolves with its request id once Kafka acknowledged it.
   * `traceparent` (W3C) makes the request's trace continue the caller's.
   */
  async submit(image: Buffer, contentType: string, options: { id?: string; traceparent?: string } = {}): Promise<SubmittedImage> {
    const id = options.id ?? newRequestId();
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: [
        {
          key: id,
          value: image,
          headers: toCloudEventHeaders({
            specversion: '1.0',
            id,
            source: cloudEventSource('cli'),
            type: 'conveyor.ocr.request.v1',
            time: new Date().toISOString(),
            contentType,
            ...(options.traceparent ? { traceparent: options.traceparent } : {}),
          }),
        },
      ],
    });
    return { id, bytes: image.length };
  }

  async result(id: string): Promise<OcrResult | undefined> {
    const raw = await this.redis.get(resultRedisKey(id));
    return raw === null ? undefined : decodeOcrResult(raw);
  }

  /**
   * Waits for the results of `ids` (polling Redis in batches), calling
   * `onResult` as each arrives. Ids still without a result at the deadline are
   * left out of the returned map.
   */
  async waitForResults(
    ids: readonly string[],
    options: { timeoutMs: number; pollMs?: number; onResult?: (result: OcrResult) => void },
  ): Promise<Map<string, OcrResult>> {
    const results = new Map<string, OcrResult>();
    const deadline = Date.now() + options.timeoutMs;
    let waiting = [...ids];
    while (waiting.length > 0) {
      for (let i = 0; i < waiting.length; i += 500) {
        const chunk = waiting.slice(i, i + 500);
        const raws = await this.redis.mget(...chunk.map(resultRedisKey));
        raws.forEach((raw, j) => {
          if (raw === null) return;
          const result = decodeOcrResult(raw);
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
