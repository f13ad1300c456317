import { announcedRedisKey, parseResultEnvelope, resultRedisKey, type ResultEnvelope } from '@conveyor/contracts';
import { currentVersions } from '@conveyor/stage-runtime';
import type Redis from 'ioredis';

export interface StoredResult<R extends ResultEnvelope = ResultEnvelope> {
  /** The result in Redis: the first one written for this id wins. */
  result: R;
  /** False once an earlier delivery already announced it on the results topic. */
  needsAnnouncing: boolean;
}

/**
 * Idempotent result writes keyed by request id (docs/architecture.md,
 * "Delivery"): a redelivered request never produces a second or different
 * result. `SET NX` makes the first write win; a separate marker, set after the
 * results topic acknowledged the event, stops redeliveries from announcing it
 * again. Keys are per pipeline (`keyPrefix` from its definition).
 */
export class ResultStore {
  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds: number,
    private readonly keyPrefix?: string,
  ) {}

  /**
   * Writes `result` unless one is stored for its id. A result without
   * `versions` gets those of the message being handled now, if any (the
   * runtime keeps them in scope during a handler call): the versions of
   * every stage up to this one (docs/architecture.md, "Versions").
   */
  async storeOnce<R extends ResultEnvelope>(given: R): Promise<StoredResult<R>> {
    const versions = given.versions ?? currentVersions(given.id);
    const result: R = versions && !given.versions ? { ...given, versions: [...versions] } : given;
    const key = resultRedisKey(result.id, this.keyPrefix);
    const json = JSON.stringify(result);
    const written = await this.redis.set(key, json, 'EX', this.ttlSeconds, 'NX');
    if (written === 'OK') return { result, needsAnnouncing: true };
    const existing = await this.get(result.id);
    if (!existing) {
      // Expired between the two calls: write ours.
      await this.redis.set(key, json, 'EX', this.ttlSeconds);
      return { result, needsAnnouncing: true };
    }
    const announced = (await this.redis.exists(announcedRedisKey(result.id, this.keyPrefix))) === 1;
    // The stored one is of the same pipeline (same key prefix), hence of the same shape as R.
    return { result: existing as R, needsAnnouncing: !announced };
  }

  async markAnnounced(id: string): Promise<void> {
    await this.redis.set(announcedRedisKey(id, this.keyPrefix), '1', 'EX', this.ttlSeconds);
  }

  async get(id: string): Promise<ResultEnvelope | undefined> {
    const json = await this.redis.get(resultRedisKey(id, this.keyPrefix));
    return json === null ? undefined : parseResultEnvelope(JSON.parse(json));
  }
}
