import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';

export interface FileLockOptions {
  /** Give up waiting after this long. */
  timeoutMs: number;
  /** A lock older than this is taken to be left by a crashed holder. */
  staleMs: number;
  pollMs?: number;
}

function holderIsGone(lockPath: string, staleMs: number): boolean {
  try {
    const pid = Number(readFileSync(lockPath, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0) {
      try {
        process.kill(pid, 0);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ESRCH') return true;
      }
    }
    return Date.now() - statSync(lockPath).mtimeMs > staleMs;
  } catch {
    // Vanished between our attempts: free again.
    return true;
  }
}

/**
 * Runs `work` while holding an exclusive lock file (O_EXCL create), so parallel Jest
 * workers or processes do one slow job once. A lock whose holder died is broken.
 * `isDone` is checked after every wait so waiters return as soon as the holder's
 * result exists, without doing the work again.
 */
export async function withFileLock<T>(
  lockPath: string,
  options: FileLockOptions,
  isDone: () => T | undefined,
  work: () => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const done = isDone();
    if (done !== undefined) return done;
    let fd: number | undefined;
    try {
      fd = openSync(lockPath, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (fd !== undefined) {
      try {
        writeSync(fd, String(process.pid));
        closeSync(fd);
        const doneMeanwhile = isDone();
        return doneMeanwhile !== undefined ? doneMeanwhile : await work();
      } finally {
        rmSync(lockPath, { force: true });
      }
    }
    if (holderIsGone(lockPath, options.staleMs)) {
      rmSync(lockPath, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${options.timeoutMs} ms waiting for the lock ${lockPath}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 250));
  }
}
