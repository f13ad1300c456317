/** Outcome of waiting on work that an abort signal may cut short. */
export type Abortable<T> = { completed: true; value: T } | { completed: false };

/**
 * Waits for `work` unless `signal` aborts first. The work itself is not
 * cancelled (a stuck handler cannot be); the caller just stops waiting, and a
 * rejection of the work after that is still handled (no unhandled rejection).
 */
export function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<Abortable<T>> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.resolve({ completed: false });
  }
  return new Promise<Abortable<T>>((resolve, reject) => {
    const onAbort = (): void => resolve({ completed: false });
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve({ completed: true, value });
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** Sleeps `ms`, or less if `signal` aborts (resolves either way: the caller checks why). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted || ms <= 0) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
