/**
 * Tracks which offsets of one partition are in flight and which are done, so the
 * runtime commits only past messages whose outputs are all acknowledged, even
 * when messages finish out of order (bounded concurrency, cross-message batches).
 */
export class OffsetTracker {
  private readonly started: bigint[] = [];
  private readonly done = new Set<bigint>();

  start(offset: string): void {
    const value = BigInt(offset);
    const last = this.started[this.started.length - 1];
    if (last !== undefined && value <= last) {
      throw new Error(`offsets must start in increasing order: ${offset} after ${last}`);
    }
    this.started.push(value);
  }

  /**
   * Marks an offset done. Returns the highest offset below which everything is
   * done (the one to resolve; commit is that + 1), or undefined if the head of
   * the partition is still in flight.
   */
  complete(offset: string): string | undefined {
    const value = BigInt(offset);
    if (!this.started.includes(value)) throw new Error(`offset ${offset} was never started`);
    this.done.add(value);
    let resolved: bigint | undefined;
    while (this.started.length > 0 && this.done.has(this.started[0])) {
      resolved = this.started.shift() as bigint;
      this.done.delete(resolved);
    }
    return resolved === undefined ? undefined : resolved.toString();
  }

  get inFlight(): number {
    return this.started.length;
  }
}
