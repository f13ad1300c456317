import { findFreePort } from '@conveyor/kafka-local';
import { redisUrl } from '@conveyor/testing';
import { connectRedisOnce } from './redis-once';

class Unreachable extends Error {}

describe('connectRedisOnce', () => {
  it('connects to a Redis that answers', async () => {
    const redis = await connectRedisOnce(redisUrl(), (message) => new Unreachable(message));
    try {
      expect(await redis.ping()).toBe('PONG');
    } finally {
      redis.disconnect();
    }
  });

  it("fails at once with the caller's error, naming the URL, where nothing listens", async () => {
    const url = `redis://127.0.0.1:${await findFreePort()}`;
    const attempt = connectRedisOnce(url, (message, cause) => new Unreachable(message, { cause }));
    await expect(attempt).rejects.toBeInstanceOf(Unreachable);
    await expect(attempt).rejects.toThrow(new RegExp(`^Redis at ${url} is unreachable: \\S`));
  });
});
