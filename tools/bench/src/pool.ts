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
