// A fixed set of workers sharing one queue of items: how the in-process readers
// run several sessions at once without a session ever serving two reads.

/**
 * Runs `work` on every item with `workers.length` workers taking the next item
 * as they finish; resolves with the results in item order.
 */
export async function runPool<I, W, R>(
  items: readonly I[],
  workers: readonly W[],
  work: (worker: W, item: I) => Promise<R>,
): Promise<R[]> {
  if (workers.length === 0) throw new Error('runPool needs at least one worker');
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    workers.map(async (worker) => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(worker, items[index]);
      }
    }),
  );
  return results;
}

/**
 * Jobs submitted at any time (open loop: arrivals do not wait for each other)
 * go to whichever worker is free, first come first served; a job waits in the
 * queue while every worker is busy. Each worker runs one job at a time.
 */
export class Dispatcher<W, J, R> {
  private readonly idle: W[];
  private readonly queue: Array<{ job: J; resolve: (r: R) => void; reject: (e: unknown) => void }> = [];

  constructor(
    workers: readonly W[],
    private readonly work: (worker: W, job: J) => Promise<R>,
  ) {
    if (workers.length === 0) throw new Error('Dispatcher needs at least one worker');
    this.idle = [...workers];
  }

  /** Jobs waiting for a worker. */
  get queued(): number {
    return this.queue.length;
  }

  submit(job: J): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.shift() as W;
      const { job, resolve, reject } = this.queue.shift() as (typeof this.queue)[number];
      this.work(worker, job)
        .then(resolve, reject)
        .finally(() => {
          this.idle.push(worker);
          this.pump();
        });
    }
  }
}
