import Redis from 'ioredis';

/**
 * A Redis connection for a command that runs once (`conveyor ocr`, `dlq`,
 * `replay`, `shadow`): connected now or not at all, no reconnect loop and one retry per
 * request, so an unreachable Redis is reported at once instead of waited on.
 * `unreachable` turns the failure into the caller's own error (its exit code).
 */
export async function connectRedisOnce(
  url: string,
  unreachable: (message: string, cause: unknown) => Error,
  connectTimeoutMs = 3_000,
): Promise<Redis> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: connectTimeoutMs, maxRetriesPerRequest: 1, retryStrategy: () => null });
  try {
    await redis.connect();
    return redis;
  } catch (error) {
    redis.disconnect();
    throw unreachable(`Redis at ${url} is unreachable: ${(error as Error).message}`, error);
  }
}
