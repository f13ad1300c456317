import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import { StageError } from './stage-error';

/**
 * Claim check (EIP): payloads over the threshold are parked in Redis under a
 * TTL key and the Kafka message carries only the key, so tensors larger than
 * Kafka's 1 MiB default never hit the broker's limit.
 */
export interface ClaimCheckStore {
  put(value: Buffer): Promise<string>;
  get(key: string): Promise<Buffer>;
}

export const CLAIM_KEY_PREFIX = 'conveyor:claim:';

/**
 * Claims are written under `<keyPrefix><scope><uuid>` (the stage host passes its TOPIC_PREFIX as the scope, so the
 * claims of a replay or shadow pipeline can be found and removed) and read from anywhere under `keyPrefix`: a shadow's
 * entry stage reads the claims of live messages.
 */
export class RedisClaimCheckStore implements ClaimCheckStore {
  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds: number,
    private readonly keyPrefix = CLAIM_KEY_PREFIX,
    private readonly scope = '',
  ) {}

  async put(value: Buffer): Promise<string> {
    const key = `${this.keyPrefix}${this.scope}${randomUUID()}`;
    await this.redis.set(key, value, 'EX', this.ttlSeconds);
    return key;
  }

  async get(key: string): Promise<Buffer> {
    if (!key.startsWith(this.keyPrefix)) {
      throw new StageError('INVALID_CLAIM', `claim key "${key}" is not under ${this.keyPrefix}`);
    }
    const value = await this.redis.getBuffer(key);
    if (value === null) {
      throw new StageError('CLAIM_EXPIRED', `claim-checked payload ${key} is gone (expired or never stored)`);
    }
    return value;
  }
}
