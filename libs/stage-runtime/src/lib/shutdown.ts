import type { StageLogger } from './logger';

/**
 * Time allowed after SHUTDOWN_GRACE_MS before the process exits regardless:
 * the drain's own bound on leaving the group and closing clients (5 s) plus
 * closing the app. 30 s grace + 10 s stays inside Kubernetes' 45 s
 * terminationGracePeriodSeconds, so our exit, not SIGKILL, ends the pod.
 */
export const SHUTDOWN_HARD_EXIT_SLACK_MS = 10_000;

export interface ExitAfterStopOptions {
  /** Drains and closes everything. */
  stop: () => Promise<void>;
  /** Exit now, even if `stop` has not finished, after this long. */
  hardExitMs: number;
  logger: StageLogger;
  exit?: (code: number) => void;
}

/**
 * Stops, then exits with `code` (1 if stopping failed). A hard timer exits
 * with 1 if stopping hangs (a handler that never returns, a client that never
 * closes), so a signal always ends the process.
 */
export function exitAfterStop(reason: string, code: number, options: ExitAfterStopOptions): void {
  const exit = options.exit ?? ((c: number) => process.exit(c));
  const timer = setTimeout(() => {
    options.logger.error({ reason, hardExitMs: options.hardExitMs }, 'shutdown did not finish in time; exiting anyway');
    exit(1);
  }, options.hardExitMs);
  // The timer must not itself keep a process alive whose work is all done.
  timer.unref();
  options.stop().then(
    () => {
      clearTimeout(timer);
      exit(code);
    },
    (error: unknown) => {
      clearTimeout(timer);
      options.logger.error({ reason, err: error }, 'shutdown failed');
      exit(1);
    },
  );
}
