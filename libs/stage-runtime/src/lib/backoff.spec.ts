import { backoffDelayMs, shouldRetry, type RetryPolicy } from './backoff';

const policy: RetryPolicy = { maxAttempts: 4, initialBackoffMs: 100, maxBackoffMs: 1_000 };

describe('backoffDelayMs', () => {
  it.each([
    { failed: 0, random: 0.5, expected: 0 },
    { failed: 1, random: 0, expected: 50 },
    { failed: 1, random: 1, expected: 100 },
    { failed: 2, random: 0, expected: 100 },
    { failed: 3, random: 0.5, expected: 300 },
    { failed: 5, random: 1, expected: 1_000 }, // 1600 capped at 1000
    { failed: 30, random: 0, expected: 500 },
  ])('after $failed failures with random=$random → $expected ms', ({ failed, random, expected }) => {
    expect(backoffDelayMs(policy, failed, () => random)).toBe(expected);
  });
});

describe('shouldRetry', () => {
  it.each([
    { failed: 1, retriable: true, expected: true },
    { failed: 3, retriable: true, expected: true },
    { failed: 4, retriable: true, expected: false },
    { failed: 1, retriable: false, expected: false },
  ])('failed=$failed retriable=$retriable → $expected', ({ failed, retriable, expected }) => {
    expect(shouldRetry(policy, failed, retriable)).toBe(expected);
  });
});
