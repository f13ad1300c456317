/**
 * Bounds the messages a stage works on at once. When the bound is reached it
 * reports `saturated` so the transport can pause fetching (backpressure), and
 * `drained` once there is room again.
 */
export class ConcurrencyLimiter {
  private active = 0;
  private readonly waiters: Array<() => void> = [];
  private readonly idleWaiters: Array<() => void> = [];

  constructor(
    readonly limit: number,
    private readonly onSaturationChange: (saturated: boolean) => void = () => undefined,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error('limit must be an integer ≥ 1');
  }

  get inFlight(): number {
    return this.active;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /**
   * Takes a slot, waiting for one if need be. Resolves false, holding no slot,
   * if `signal` aborts first: a batch that must stop (rebalance, shutdown)
   * does not sit in the queue and then start a message it should not.
   */
  async acquire(signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return false;
    if (this.active < this.limit) {
      this.active += 1;
      if (this.active === this.limit) this.onSaturationChange(true);
      return true;
    }
    return new Promise<boolean>((resolve) => {
      const granted = (): void => {
        signal?.removeEventListener('abort', aborted);
        resolve(true);
      };
      const aborted = (): void => {
        const index = this.waiters.indexOf(granted);
        if (index >= 0) this.waiters.splice(index, 1);
        resolve(false);
      };
      this.waiters.push(granted);
      signal?.addEventListener('abort', aborted, { once: true });
    });
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) {
      next(); // the slot passes straight to the next waiter: still saturated
      return;
    }
    this.active -= 1;
    if (this.active === this.limit - 1) this.onSaturationChange(false);
    if (this.active === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /**
   * Resolves once nothing is in flight (used when draining on shutdown). No
   * polling timer: a drain that gives up on a stuck message must not leave one
   * running that keeps the process alive.
   */
  async idle(): Promise<void> {
    if (this.active === 0 && this.waiters.length === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }
}
