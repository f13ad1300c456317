import Redis from 'ioredis';
import { uniqueName } from './names';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** REDIS_URL, or the local Redis. */
export function redisUrl(env: Record<string, string | undefined> = process.env): string {
  return env['REDIS_URL']?.trim() || DEFAULT_REDIS_URL;
}

/** A key prefix owned by one test (e.g. "test:results-lq3…-1:"), so tests never share keys. */
export function redisKeyPrefix(prefix = 'test'): string {
  return `${uniqueName(prefix)}:`;
}

/** Deletes every key starting with `prefix` (SCAN, not KEYS, so a busy Redis is not blocked). */
export async function deleteRedisKeys(redis: Redis, prefix: string): Promise<number> {
  if (!prefix) throw new Error('deleteRedisKeys needs a non-empty prefix (it would delete everything)');
  const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) deleted += await redis.del(...keys);
  } while (cursor !== '0');
  return deleted;
}

/** Runs `work` with a connected client and always closes it. */
export async function withRedis<T>(work: (redis: Redis) => Promise<T>, url: string = redisUrl()): Promise<T> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    return await work(redis);
  } finally {
    redis.disconnect();
  }
}
