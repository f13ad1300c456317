import { DEFAULT_RESTART_POLICY, NO_CRASHES, planRestart, restartPolicy, type Crash, type RestartPolicy } from './restart-policy';

/**
 * Each row: crashes as [at ms, uptime ms of that run, exit code] and what the
 * policy answers to each, written as "<delay ms>", "<delay ms> looping" (still
 * crash-looping), "<delay ms> looping!" (this crash started the loop) or
 * "give-up".
 */
type Row = [string, Partial<RestartPolicy>, Array<[number, number, number | null]>, string[]];

function describeDecisions(policy: RestartPolicy, crashes: Row[2]): string[] {
  let history = NO_CRASHES;
  return crashes.map(([at, uptimeMs, code]) => {
    const crash: Crash = { at, uptimeMs, code, signal: code === null ? 'SIGKILL' : null };
    const decision = planRestart(policy, history, crash);
    history = decision.history;
    if (decision.action === 'give-up') return 'give-up';
    return `${decision.delayMs}${decision.history.crashLooping ? ' looping' : ''}${decision.enteredCrashLoop ? '!' : ''}`;
  });
}

// A process that dies 100 ms after every start, restarted after the delays the policy gives.
const quick = (delays: number[]): Array<[number, number, number | null]> => {
  let t = 0;
  return [0, ...delays].map((delay) => {
    t += delay + 100;
    return [t, 100, 1];
  });
};

const rows: Row[] = [
  ['one crash: the first delay', {}, [[5_000, 5_000, 1]], ['1000']],
  ['killed by a signal (no exit code): restarted like any crash', {}, [[5_000, 5_000, null]], ['1000']],
  ['quick crashes double the delay; the fifth within the window is a crash loop, restarted at the maximum', {}, quick([1000, 2000, 4000, 8000, 30000, 30000]), [
    '1000', '2000', '4000', '8000', '30000 looping!', '30000 looping', '30000 looping',
  ]],
  ['crashes spread beyond the window double up to the cap and stay there, never a crash loop', { crashLoopWindowMs: 1_000 }, quick([1000, 2000, 4000, 8000, 16000, 30000, 30000]), [
    '1000', '2000', '4000', '8000', '16000', '30000', '30000', '30000',
  ]],
  ['a run that lasted stableAfterMs forgives the earlier crashes', {}, [[100, 100, 1], [1_200, 100, 1], [3_300, 100, 1], [40_000, 36_000, 1], [41_100, 100, 1]], [
    '1000', '2000', '4000', '1000', '2000',
  ]],
  ['a stable run ends a crash loop', { crashLoopCrashes: 3 }, [[100, 100, 1], [1_200, 100, 1], [3_300, 100, 1], [33_400, 100, 1], [100_000, 66_000, 1]], [
    '1000', '2000', '30000 looping!', '30000 looping', '1000',
  ]],
  ['exit code 78 (configuration refused) is not retried', {}, [[3_000, 3_000, 78]], ['give-up']],
  ['give-up codes are configurable', { giveUpExitCodes: [] }, [[3_000, 3_000, 78]], ['1000']],
  ['the same with a custom start and cap (broker restarts in tests)', { initialDelayMs: 200, maxDelayMs: 500 }, quick([200, 400, 500]), ['200', '400', '500', '500']],
];

describe('planRestart (the backoff and crash-loop policy of the supervisors)', () => {
  it.each(rows)('%s', (_name, overrides, crashes, expected) => {
    expect(describeDecisions(restartPolicy(overrides), crashes)).toEqual(expected);
  });

  it('defaults: 1 s doubling to 30 s, stable after 30 s, 5 crashes in 2 minutes is a crash loop, 78 is final', () => {
    expect(DEFAULT_RESTART_POLICY).toEqual({
      initialDelayMs: 1_000,
      maxDelayMs: 30_000,
      stableAfterMs: 30_000,
      crashLoopCrashes: 5,
      crashLoopWindowMs: 120_000,
      giveUpExitCodes: [78],
    });
  });

  it.each([
    [{ initialDelayMs: -1 }, /initialDelayMs must be a non-negative number/],
    [{ maxDelayMs: 10, initialDelayMs: 100 }, /maxDelayMs must not be below initialDelayMs/],
    [{ crashLoopCrashes: 0 }, /crashLoopCrashes must be a positive integer/],
  ])('refuses the policy %j', (overrides, message) => {
    expect(() => restartPolicy(overrides)).toThrow(message);
  });
});
