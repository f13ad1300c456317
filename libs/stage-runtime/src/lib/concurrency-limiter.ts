/**
 * Bounds the messages a stage works on at once. When the bound is reached it
 * reports `saturated` so the transport can pause fetching (backpressure), and
 * `drained` once there is room again.
 */
export class ConcurrencyLimiter {
  private active = 0;
  private readonly waiters: Array<() => void> = [];

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

  async acquire(): Promise<void> {
    if (this.active < this.limit) {
      this.active += 1;
      if (this.active === this.limit) this.onSaturationChange(true);
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) {
      next(); // the slot passes straight to the next waiter: still saturated
      return;
    }
    this.active -= 1;
    if (this.active === this.limit - 1) this.onSaturationChange(false);
  }

  /** Resolves once nothing is in flight (used when draining on shutdown). */
  async idle(pollMs = 20): Promise<void> {
    while (this.active > 0 || this.waiters.length > 0) await new Promise((r) => setTimeout(r, pollMs));
  }
}
