import { MicroBatcher } from './micro-batcher';

const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

describe('MicroBatcher', () => {
  it('runs a full batch at once and a partial one after maxWaitMs', async () => {
    const batches: number[][] = [];
    const batcher = new MicroBatcher<number, number>({ maxSize: 3, maxWaitMs: 30 }, async (items) => {
      batches.push(items);
      return items.map((i) => i * 10);
    });
    const full = Promise.all([1, 2, 3].map((i) => batcher.submit(i)));
    await expect(full).resolves.toEqual([10, 20, 30]);
    expect(batches).toEqual([[1, 2, 3]]);

    const partial = batcher.submit(4);
    await tick(5);
    expect(batches).toHaveLength(1); // still waiting for companions
    await expect(partial).resolves.toBe(40);
    expect(batches).toEqual([[1, 2, 3], [4]]);
  });

  it('queues items that arrive while a batch runs into the next batch', async () => {
    const batches: number[][] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const batcher = new MicroBatcher<number, number>({ maxSize: 10, maxWaitMs: 0 }, async (items) => {
      batches.push(items);
      if (batches.length === 1) await gate;
      return items;
    });
    const first = batcher.submit(1);
    await tick();
    const rest = [2, 3, 4].map((i) => batcher.submit(i));
    expect(batcher.queued).toBe(3);
    release();
    await Promise.all([first, ...rest]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('fails only the items whose result is an Error, and every item when the run throws', async () => {
    const batcher = new MicroBatcher<number, number>({ maxSize: 2, maxWaitMs: 0 }, async (items) =>
      items.map((i) => (i < 0 ? new Error(`negative ${i}`) : i)),
    );
    const [ok, bad] = await Promise.allSettled([batcher.submit(1), batcher.submit(-1)]);
    expect(ok).toEqual({ status: 'fulfilled', value: 1 });
    expect(bad).toMatchObject({ status: 'rejected', reason: new Error('negative -1') });

    const throwing = new MicroBatcher<number, number>({ maxSize: 2, maxWaitMs: 0 }, async () => {
      throw new Error('model crashed');
    });
    await expect(throwing.submit(1)).rejects.toThrow('model crashed');
  });

  it('rejects a runner that returns the wrong number of results', async () => {
    const batcher = new MicroBatcher<number, number>({ maxSize: 1, maxWaitMs: 0 }, async () => []);
    await expect(batcher.submit(1)).rejects.toThrow('returned 0 results for 1 items');
  });

  it.each([
    { maxSize: 0, maxWaitMs: 1 },
    { maxSize: 1.5, maxWaitMs: 1 },
    { maxSize: 1, maxWaitMs: -1 },
  ])('rejects invalid options %o', (options) => {
    expect(() => new MicroBatcher(options, async () => [])).toThrow();
  });
});
