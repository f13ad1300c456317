import { announcedRedisKey, parseOcrResult, resultRedisKey, type OcrResult } from '@conveyor/contracts';
import type Redis from 'ioredis';

export interface StoredResult {
  /** The result in Redis: the first one written for this id wins. */
  result: OcrResult;
  /** False once an earlier delivery already announced it on the results topic. */
  needsAnnouncing: boolean;
}

/**
 * Idempotent result writes keyed by request id (DESIGN §4): a redelivered
 * request never produces a second or different result. `SET NX` makes the first
 * write win; a separate marker, set after the results topic acknowledged the
 * event, stops redeliveries from announcing it again.
 */
export class ResultStore {
  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds: number,
  ) {}

  async storeOnce(result: OcrResult): Promise<StoredResult> {
    const key = resultRedisKey(result.id);
    const written = await this.redis.set(key, JSON.stringify(result), 'EX', this.ttlSeconds, 'NX');
    if (written === 'OK') return { result, needsAnnouncing: true };
    const existing = await this.get(result.id);
    if (!existing) {
      // Expired between the two calls: write ours.
      await this.redis.set(key, JSON.stringify(result), 'EX', this.ttlSeconds);
      return { result, needsAnnouncing: true };
    }
    const announced = (await this.redis.exists(announcedRedisKey(result.id))) === 1;
    return { result: existing, needsAnnouncing: !announced };
  }

  async markAnnounced(id: string): Promise<void> {
    await this.redis.set(announcedRedisKey(id), '1', 'EX', this.ttlSeconds);
  }

  async get(id: string): Promise<OcrResult | undefined> {
    const json = await this.redis.get(resultRedisKey(id));
    return json === null ? undefined : parseOcrResult(JSON.parse(json));
  }
}
