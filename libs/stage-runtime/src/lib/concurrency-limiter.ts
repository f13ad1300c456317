interface Waiter {
  /** Wants to run alone: nothing else in flight while it holds its slot. */
  exclusive: boolean;
  grant(): void;
}

/**
 * Bounds the messages a stage works on at once. When the bound is reached it
 * reports `saturated` so the transport can pause fetching (backpressure), and
 * `drained` once there is room again.
 *
 * A slot can also be taken exclusively (`acquireExclusive`): it is granted
 * once nothing else is in flight, and nothing else starts until it is
 * released. The transport runs a suspect input (one that was in flight when an
 * earlier process died) this way, so a second death can be blamed on it alone.
 * Waiters are served in order: a waiting exclusive request holds back the
 * requests queued after it, so it is not starved.
 */
export class ConcurrencyLimiter {
  private active = 0;
  private exclusiveHeld = false;
  private saturated = false;
  private readonly waiters: Waiter[] = [];
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

  /** True while a slot taken with acquireExclusive is held. */
  get exclusive(): boolean {
    return this.exclusiveHeld;
  }

  /**
   * Takes a slot, waiting for one if need be. Resolves false, holding no slot,
   * if `signal` aborts first: a batch that must stop (rebalance, shutdown)
   * does not sit in the queue and then start a message it should not.
   */
  acquire(signal?: AbortSignal): Promise<boolean> {
    return this.take(false, signal);
  }

  /** Takes a slot once nothing else is in flight, and keeps everything else out until it is released. */
  acquireExclusive(signal?: AbortSignal): Promise<boolean> {
    return this.take(true, signal);
  }

  private canGrant(exclusive: boolean): boolean {
    if (this.exclusiveHeld) return false;
    return exclusive ? this.active === 0 : this.active < this.limit;
  }

  private async take(exclusive: boolean, signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return false;
    if (this.waiters.length === 0 && this.canGrant(exclusive)) {
      this.grantSlot(exclusive);
      this.reportSaturation();
      return true;
    }
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = {
        exclusive,
        grant: () => {
          signal?.removeEventListener('abort', aborted);
          resolve(true);
        },
      };
      const aborted = (): void => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        resolve(false);
        // An exclusive waiter at the head may have been holding others back.
        this.pump();
      };
      this.waiters.push(waiter);
      signal?.addEventListener('abort', aborted, { once: true });
      this.reportSaturation();
    });
  }

  private grantSlot(exclusive: boolean): void {
    this.active += 1;
    if (exclusive) this.exclusiveHeld = true;
  }

  /** Grants queued waiters, in order, while they fit. */
  private pump(): void {
    while (this.waiters.length > 0 && this.canGrant(this.waiters[0].exclusive)) {
      const next = this.waiters.shift() as Waiter;
      this.grantSlot(next.exclusive);
      next.grant();
    }
    this.reportSaturation();
    if (this.active === 0 && this.waiters.length === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** Saturated: no new message can start now (all slots taken, or one runs alone, or one waits to). */
  private reportSaturation(): void {
    const saturated = this.active >= this.limit || this.exclusiveHeld || this.waiters.some((w) => w.exclusive);
    if (saturated === this.saturated) return;
    this.saturated = saturated;
    this.onSaturationChange(saturated);
  }

  /** Gives a slot back (an exclusive one too); the next waiters get it at once. */
  release(): void {
    if (this.active === 0) return;
    this.active -= 1;
    if (this.active === 0) this.exclusiveHeld = false;
    this.pump();
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
