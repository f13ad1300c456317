import { ConcurrencyLimiter } from './concurrency-limiter';

describe('ConcurrencyLimiter', () => {
  it('bounds concurrent work and reports saturation changes once each', async () => {
    const changes: boolean[] = [];
    const limiter = new ConcurrencyLimiter(2, (saturated) => changes.push(saturated));
    await limiter.acquire();
    await limiter.acquire();
    expect(changes).toEqual([true]);
    let thirdStarted = false;
    const third = limiter.acquire().then(() => (thirdStarted = true));
    await new Promise((r) => setTimeout(r, 5));
    expect(thirdStarted).toBe(false);
    expect(limiter.waiting).toBe(1);
    limiter.release(); // hands the slot to the waiter: still saturated
    await third;
    expect(changes).toEqual([true]);
    limiter.release();
    expect(changes).toEqual([true, false]);
    limiter.release();
    expect(limiter.inFlight).toBe(0);
    await limiter.idle();
  });

  it('gives up waiting for a slot when the signal aborts, holding none', async () => {
    const limiter = new ConcurrencyLimiter(1);
    expect(await limiter.acquire()).toBe(true);
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal);
    expect(limiter.waiting).toBe(1);
    controller.abort();
    expect(await waiting).toBe(false);
    expect(limiter.waiting).toBe(0);
    limiter.release(); // the slot is not handed to the waiter that gave up
    expect(limiter.inFlight).toBe(0);
    expect(await limiter.acquire(AbortSignal.abort())).toBe(false);
    expect(limiter.inFlight).toBe(0);
  });

  it('a granted slot stays granted when the signal aborts later', async () => {
    const limiter = new ConcurrencyLimiter(1);
    await limiter.acquire();
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal);
    limiter.release();
    expect(await waiting).toBe(true);
    controller.abort();
    expect(limiter.inFlight).toBe(1);
  });

  it('resolves idle() when the last slot is released, without polling', async () => {
    const limiter = new ConcurrencyLimiter(2);
    await limiter.acquire();
    await limiter.acquire();
    let idle = false;
    const waiting = limiter.idle().then(() => (idle = true));
    limiter.release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(idle).toBe(false);
    limiter.release();
    await waiting;
    expect(idle).toBe(true);
  });

  it('grants an exclusive slot once nothing is in flight, and starts nothing else until it is released', async () => {
    const changes: boolean[] = [];
    const limiter = new ConcurrencyLimiter(3, (saturated) => changes.push(saturated));
    await limiter.acquire();
    const order: string[] = [];
    const alone = limiter.acquireExclusive().then(() => order.push('alone'));
    // Queued behind the exclusive request, although a slot is free: it is not starved.
    const after = limiter.acquire().then(() => order.push('after'));
    expect(changes).toEqual([true]); // a waiting exclusive request pauses fetching
    await new Promise((r) => setTimeout(r, 5));
    expect(order).toEqual([]);
    limiter.release();
    await alone;
    expect(limiter.exclusive).toBe(true);
    expect(limiter.inFlight).toBe(1);
    await new Promise((r) => setTimeout(r, 5));
    expect(order).toEqual(['alone']);
    limiter.release();
    await after;
    expect(order).toEqual(['alone', 'after']);
    expect(limiter.exclusive).toBe(false);
    expect(changes).toEqual([true, false]);
    limiter.release();
    await limiter.idle();
  });

  it('lets the requests behind an exclusive waiter go when it gives up', async () => {
    const limiter = new ConcurrencyLimiter(2);
    await limiter.acquire();
    const controller = new AbortController();
    const alone = limiter.acquireExclusive(controller.signal);
    const next = limiter.acquire();
    controller.abort();
    expect(await alone).toBe(false);
    expect(await next).toBe(true);
    expect(limiter.inFlight).toBe(2);
  });
});
