export interface BatchOptions {
  /** Most items handed to one run. */
  maxSize: number;
  /** Longest an item waits for companions before a partial batch runs. */
  maxWaitMs: number;
}

/** One result per item, in order; an Error fails only its own item. */
export type BatchRunner<T, R> = (items: T[]) => Promise<Array<R | Error>>;

interface Pending<T, R> {
  item: T;
  resolve: (value: R) => void;
  reject: (error: unknown) => void;
}

/**
 * Dynamic batching in the manner of Triton's dynamic batcher: items from any
 * number of callers (partitions, messages) queue up; a batch runs when it is
 * full or when the oldest item has waited `maxWaitMs`. One batch runs at a time
 * (a model session is one resource), and items arriving meanwhile form the next
 * batch, so batches grow exactly when the stage is busy.
 */
export class MicroBatcher<T, R> {
  private queue: Array<Pending<T, R>> = [];
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly options: BatchOptions,
    private readonly runner: BatchRunner<T, R>,
  ) {
    if (!Number.isInteger(options.maxSize) || options.maxSize < 1) throw new Error('maxSize must be an integer ≥ 1');
    if (!(options.maxWaitMs >= 0)) throw new Error('maxWaitMs must be ≥ 0');
  }

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  get queued(): number {
    return this.queue.length;
  }

  private schedule(): void {
    if (this.running || this.queue.length === 0) return;
    if (this.queue.length >= this.options.maxSize || this.options.maxWaitMs === 0) {
      this.flush();
    } else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.options.maxWaitMs);
    }
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.running || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.options.maxSize);
    this.running = true;
    this.runner(batch.map((p) => p.item))
      .then((results) => {
        if (results.length !== batch.length) {
          throw new Error(`batch runner returned ${results.length} results for ${batch.length} items`);
        }
        batch.forEach((pending, i) => {
          const result = results[i];
          if (result instanceof Error) pending.reject(result);
          else pending.resolve(result);
        });
      })
      .catch((error: unknown) => batch.forEach((pending) => pending.reject(error)))
      .finally(() => {
        this.running = false;
        // Items that queued during the run have waited at least that long: run them now.
        if (this.queue.length > 0) this.flush();
      });
  }
}
