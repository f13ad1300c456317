export interface RetryPolicy {
  /** Attempts in total, the first included (1 = never retry). */
  maxAttempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 3, initialBackoffMs: 200, maxBackoffMs: 5_000 };

/**
 * Exponential backoff with "equal jitter": half the delay is fixed, half random,
 * so retries of many messages failing together (a Redis blip) spread out.
 * `random` is injectable so the maths is testable.
 */
export function backoffDelayMs(policy: RetryPolicy, failedAttempts: number, random: () => number = Math.random): number {
  if (failedAttempts < 1) return 0;
  const exponential = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** (failedAttempts - 1));
  return Math.round(exponential / 2 + (exponential / 2) * random());
}

export function shouldRetry(policy: RetryPolicy, failedAttempts: number, retriable: boolean): boolean {
  return retriable && failedAttempts < policy.maxAttempts;
}
