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
});
