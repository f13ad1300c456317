export type ReadinessCheck = () => boolean | Promise<boolean>;

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, boolean>;
}

/**
 * Named readiness checks (Kafka joined, model loaded, Redis reachable…). A
 * check that throws or takes longer than the timeout counts as not ready.
 */
export class ReadinessRegistry {
  private readonly checks = new Map<string, ReadinessCheck>();
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
    const entries = await Promise.all(
      [...this.checks].map(async ([name, check]) => [name, await runCheck(check, timeoutMs)] as const),
    );
    const checks = Object.fromEntries(entries);
    return { ready: entries.length > 0 && entries.every(([, ok]) => ok), checks };
  }
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
