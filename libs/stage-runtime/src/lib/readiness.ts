export type ReadinessCheck = () => boolean | Promise<boolean>;

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, boolean>;
}

/**
 * Named readiness checks (Kafka joined, model loaded, Redis reachable…), and
 * liveness checks (the process can still do its work at all, e.g. its Kafka
 * consumer has not crashed for good). A check that throws or takes longer
 * than the timeout counts as failing.
 */
export class ReadinessRegistry {
  private readonly checks = new Map<string, ReadinessCheck>();
  private readonly livenessChecks = new Map<string, ReadinessCheck>();
  private readonly startupTasks: Array<Promise<unknown>> = [];

  /**
   * Work that must finish before the stage consumes (loading a model): the
   * HTTP probes answer meanwhile (live, not ready), and a task that fails
   * stops the start-up instead of letting the stage dead-letter every message.
   */
  beforeConsuming(task: Promise<unknown>): void {
    task.catch(() => undefined); // surfaced by startupComplete(); avoid an unhandled rejection meanwhile
    this.startupTasks.push(task);
  }

  async startupComplete(): Promise<void> {
    await Promise.all(this.startupTasks);
  }

  register(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  async report(timeoutMs = 1_000): Promise<ReadinessReport> {
    const entries = await runChecks(this.checks, timeoutMs);
    return { ready: entries.length > 0 && entries.every(([, ok]) => ok), checks: Object.fromEntries(entries) };
  }

  /**
   * A failing liveness check makes /health/live answer 503, so the orchestrator
   * restarts the process: for states it cannot leave on its own (a temporary
   * outage belongs in readiness, not here).
   */
  registerLiveness(name: string, check: ReadinessCheck): void {
    this.livenessChecks.set(name, check);
  }

  /** Live unless a liveness check fails (no checks: live, the event loop answered). */
  async liveness(timeoutMs = 1_000): Promise<LivenessReport> {
    const entries = await runChecks(this.livenessChecks, timeoutMs);
    return { live: entries.every(([, ok]) => ok), checks: Object.fromEntries(entries) };
  }
}

export interface LivenessReport {
  live: boolean;
  checks: Record<string, boolean>;
}

function runChecks(checks: Map<string, ReadinessCheck>, timeoutMs: number): Promise<Array<readonly [string, boolean]>> {
  return Promise.all([...checks].map(async ([name, check]) => [name, await runCheck(check, timeoutMs)] as const));
}

async function runCheck(check: ReadinessCheck, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      Promise.resolve().then(check),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
  } catch {
    return false;
  } finally {
    if (timer) clearTimeout(timer);
  }
}
