/**
 * When a supervised process (a stage, the local broker) exits on its own, how
 * long to wait before starting it again. Pure: the supervisors keep the
 * history and the clock, this decides.
 *
 * - Exponential backoff: `initialDelayMs`, doubling per crash in a row, capped
 *   at `maxDelayMs` (1 s, 2 s, 4 s … 30 s).
 * - A run that lasted `stableAfterMs` or longer forgives the past: the next
 *   crash starts again at `initialDelayMs`.
 * - `crashLoopCrashes` crashes within `crashLoopWindowMs` make the process
 *   crash-looping: it is reported once and then restarted at `maxDelayMs`
 *   until a run is stable again. Retrying (rather than giving up) is the choice
 *   for crashes, because what makes a stage crash locally is often outside it
 *   and passes (Redis or Kafka restarting, a full disk being cleaned).
 * - An exit code in `giveUpExitCodes` (78, EX_CONFIG: a stage refused its
 *   configuration) is not retried at all: the same configuration fails the
 *   same way.
 */
export interface RestartPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  stableAfterMs: number;
  crashLoopCrashes: number;
  crashLoopWindowMs: number;
  giveUpExitCodes: readonly number[];
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  initialDelayMs: 1_000,
  maxDelayMs: 30_000,
  stableAfterMs: 30_000,
  crashLoopCrashes: 5,
  crashLoopWindowMs: 120_000,
  giveUpExitCodes: [78],
};

/** What a supervisor remembers of one process' crashes. */
export interface CrashHistory {
  /** Crashes since the last stable run. */
  consecutive: number;
  /** When the crashes within the crash-loop window happened (ms, the supervisor's clock). */
  recent: readonly number[];
  crashLooping: boolean;
}

export const NO_CRASHES: CrashHistory = { consecutive: 0, recent: [], crashLooping: false };

export interface Crash {
  /** When it exited. */
  at: number;
  /** How long that run lasted. */
  uptimeMs: number;
  code: number | null;
  signal?: NodeJS.Signals | null;
}

export type RestartDecision =
  | {
      action: 'restart';
      delayMs: number;
      history: CrashHistory;
      /** True for the one crash that made the process crash-looping. */
      enteredCrashLoop: boolean;
    }
  | { action: 'give-up'; history: CrashHistory; reason: string };

export function planRestart(policy: RestartPolicy, previous: CrashHistory, crash: Crash): RestartDecision {
  const stable = crash.uptimeMs >= policy.stableAfterMs;
  const before = stable ? NO_CRASHES : previous;
  const recent = [...before.recent, crash.at].filter((t) => crash.at - t < policy.crashLoopWindowMs);
  const crashLooping = recent.length >= policy.crashLoopCrashes;
  const history: CrashHistory = { consecutive: before.consecutive + 1, recent, crashLooping };
  if (crash.code !== null && policy.giveUpExitCodes.includes(crash.code)) {
    return { action: 'give-up', history, reason: `exit code ${crash.code} means it refused its configuration; the same configuration fails the same way` };
  }
  const backoff = policy.initialDelayMs * 2 ** Math.min(history.consecutive - 1, 30);
  return {
    action: 'restart',
    delayMs: crashLooping ? policy.maxDelayMs : Math.min(policy.maxDelayMs, backoff),
    history,
    enteredCrashLoop: crashLooping && !before.crashLooping,
  };
}

/** The policy with some fields replaced, checked. */
export function restartPolicy(overrides: Partial<RestartPolicy> = {}): RestartPolicy {
  const policy = { ...DEFAULT_RESTART_POLICY, ...overrides };
  for (const key of ['initialDelayMs', 'maxDelayMs', 'stableAfterMs', 'crashLoopWindowMs'] as const) {
    if (!Number.isFinite(policy[key]) || policy[key] < 0) throw new Error(`restart policy: ${key} must be a non-negative number, got ${policy[key]}`);
  }
  if (policy.maxDelayMs < policy.initialDelayMs) throw new Error('restart policy: maxDelayMs must not be below initialDelayMs');
  if (!Number.isInteger(policy.crashLoopCrashes) || policy.crashLoopCrashes < 1) {
    throw new Error(`restart policy: crashLoopCrashes must be a positive integer, got ${policy.crashLoopCrashes}`);
  }
  return policy;
}
