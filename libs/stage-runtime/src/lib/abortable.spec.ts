import { abortable, sleep } from './abortable';

describe('abortable', () => {
  it('gives the value of work that finishes first', async () => {
    await expect(abortable(Promise.resolve(7), new AbortController().signal)).resolves.toEqual({ completed: true, value: 7 });
  });

  it('passes on a rejection of work that fails first', async () => {
    await expect(abortable(Promise.reject(new Error('boom')), new AbortController().signal)).rejects.toThrow('boom');
  });

  it('stops waiting for work that never finishes once the signal aborts', async () => {
    const controller = new AbortController();
    const waiting = abortable(new Promise<never>(() => undefined), controller.signal);
    controller.abort();
    await expect(waiting).resolves.toEqual({ completed: false });
  });

  it('does not wait at all on an aborted signal, and handles a later rejection of the work', async () => {
    const unhandled: unknown[] = [];
    const record = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', record);
    try {
      let fail: (error: Error) => void = () => undefined;
      const work = new Promise<never>((_, reject) => (fail = reject));
      await expect(abortable(work, AbortSignal.abort())).resolves.toEqual({ completed: false });
      fail(new Error('late'));
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', record);
    }
  });
});

describe('sleep', () => {
  it('ends early when the signal aborts', async () => {
    const controller = new AbortController();
    const slept = sleep(60_000, controller.signal);
    controller.abort();
    await expect(slept).resolves.toBeUndefined();
  });

  it('returns at once for no time or an aborted signal', async () => {
    await expect(sleep(0)).resolves.toBeUndefined();
    await expect(sleep(60_000, AbortSignal.abort())).resolves.toBeUndefined();
  });
});
