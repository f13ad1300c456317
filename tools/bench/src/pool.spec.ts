import { Dispatcher, runPool } from './pool';

const tick = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('runPool', () => {
  it('returns the results in item order whatever order they finish in', async () => {
    // Item i takes (5 - i) ms, so later items finish first.
    const results = await runPool([0, 1, 2, 3, 4], ['w1', 'w2'], async (worker, item) => {
      await tick(5 - item);
      return `${item}:${worker.length}`;
    });
    expect(results).toEqual(['0:2', '1:2', '2:2', '3:2', '4:2']);
  });

  it.each([1, 2, 3])('with %i worker(s) reads each item once and never more at once than workers', async (workers) => {
    const seen: number[] = [];
    let running = 0;
    let peak = 0;
    await runPool(
      [1, 2, 3, 4, 5, 6, 7],
      Array.from({ length: workers }, (_, i) => i),
      async (_worker, item) => {
        running++;
        peak = Math.max(peak, running);
        seen.push(item);
        await tick(1);
        running--;
      },
    );
    expect([...seen].sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(peak).toBe(workers);
  });

  it('gives each worker its own items: a worker never serves two reads at once', async () => {
    const busy = new Set<string>();
    await runPool([1, 2, 3, 4, 5, 6], ['a', 'b'], async (worker) => {
      expect(busy.has(worker)).toBe(false);
      busy.add(worker);
      await tick(1);
      busy.delete(worker);
    });
  });

  it('handles no items', async () => {
    await expect(runPool([], ['w'], async () => 1)).resolves.toEqual([]);
  });

  it('needs a worker', async () => {
    await expect(runPool([1], [], async () => 1)).rejects.toThrow('runPool needs at least one worker');
  });

  it('rejects when a read fails', async () => {
    await expect(
      runPool([1, 2], ['w'], async (_w, item) => {
        if (item === 2) throw new Error('bad image');
        return item;
      }),
    ).rejects.toThrow('bad image');
  });
});

describe('Dispatcher', () => {
  it('serves jobs first come first served on free workers, one job per worker at a time', async () => {
    // Each job finishes when the test says so, so the order is not left to timers.
    const finish = new Map<number, () => void>();
    const started: string[] = [];
    let running = 0;
    let peak = 0;
    const dispatcher = new Dispatcher(['a', 'b'], async (worker: string, job: number) => {
      running++;
      peak = Math.max(peak, running);
      started.push(`${worker}${job}`);
      await new Promise<void>((resolve) => finish.set(job, resolve));
      running--;
      return job * 10;
    });
    const results = Promise.all([1, 2, 3, 4].map((j) => dispatcher.submit(j)));
    const settle = async (job: number): Promise<void> => {
      while (!finish.has(job)) await tick(0);
      finish.get(job)?.();
    };
    expect(dispatcher.queued).toBe(2);
    await settle(2); // b frees up: takes 3
    await settle(3); // b again: takes 4
    await settle(4);
    await settle(1);
    expect(await results).toEqual([10, 20, 30, 40]);
    expect(peak).toBe(2);
    expect(started).toEqual(['a1', 'b2', 'b3', 'b4']);
    expect(dispatcher.queued).toBe(0);
  });

  it('rejects only the job whose work failed and keeps the worker', async () => {
    const dispatcher = new Dispatcher(['w'], async (_w: string, job: number) => {
      if (job === 2) throw new Error('bad page');
      return job;
    });
    const settled = await Promise.allSettled([1, 2, 3].map((j) => dispatcher.submit(j)));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });

  it('needs a worker', () => {
    expect(() => new Dispatcher([], async () => 1)).toThrow(/at least one worker/);
  });
});
