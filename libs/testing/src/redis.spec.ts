import { DEFAULT_REDIS_URL, deleteRedisKeys, redisKeyPrefix, redisUrl, withRedis } from './redis';

describe('redisUrl', () => {
  it.each([
    [{}, DEFAULT_REDIS_URL],
    [{ REDIS_URL: '  ' }, DEFAULT_REDIS_URL],
    [{ REDIS_URL: 'redis://cache:6380/2' }, 'redis://cache:6380/2'],
  ])('%j gives %s', (env, expected) => {
    expect(redisUrl(env)).toBe(expected);
  });
});

describe('Redis key helpers (real Redis)', () => {
  it('deletes exactly the keys under a test prefix', async () => {
    const mine = redisKeyPrefix('results');
    const neighbour = redisKeyPrefix('results');
    expect(mine).toMatch(/^results-.*:$/);
    expect(mine).not.toBe(neighbour);
    await withRedis(async (redis) => {
      await redis.set(`${mine}a`, '1', 'EX', 60);
      await redis.set(`${mine}b*[x]`, '2', 'EX', 60);
      await redis.set(`${neighbour}a`, '3', 'EX', 60);
      try {
        expect(await deleteRedisKeys(redis, mine)).toBe(2);
        expect(await redis.exists(`${mine}a`, `${mine}b*[x]`)).toBe(0);
        expect(await redis.get(`${neighbour}a`)).toBe('3');
      } finally {
        await deleteRedisKeys(redis, neighbour);
      }
    });
  });

  it('refuses an empty prefix', async () => {
    await withRedis(async (redis) => {
      await expect(deleteRedisKeys(redis, '')).rejects.toThrow(/non-empty prefix/);
    });
  });
});
