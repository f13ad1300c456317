import { startLocalPlatform, RedisUnreachableError } from './local-platform';

it('refuses to start with a clear message when Redis is unreachable, before touching Kafka', async () => {
  const lines: string[] = [];
  const attempt = startLocalPlatform({
    kafkaBrokers: '127.0.0.1:1', // never contacted: Redis is checked first
    kafkaPort: 0,
    redisUrl: 'redis://127.0.0.1:1',
    topicPrefix: 'never.',
    partitions: 1,
    httpBasePort: 0,
    env: {},
    log: (line) => lines.push(line),
  });
  await expect(attempt).rejects.toBeInstanceOf(RedisUnreachableError);
  await expect(attempt).rejects.toThrow(/Redis at redis:\/\/127\.0\.0\.1:1 is unreachable .*start redis-server or set REDIS_URL/);
  expect(lines).toEqual([]);
});
