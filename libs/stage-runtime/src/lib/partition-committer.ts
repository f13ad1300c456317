import { sleep } from './abortable';
import { backoffDelayMs, type RetryPolicy } from './backoff';
import { commitErrorAction, type CommitErrorAction } from './kafka-errors';

/** Commit retries: a coordinator move or broker restart settles within seconds; longer means give up and redeliver. */
export const defaultCommitRetryPolicy: RetryPolicy = { maxAttempts: 5, initialBackoffMs: 100, maxBackoffMs: 2_000 };

/**
 * What became of the offsets asked for: all committed (`committed`, also when
 * nothing was asked), the last one not committed after the retries
 * (`failed`), or refused because the group generation is over (`group-lost`).
 */
export type CommitOutcome = 'committed' | 'failed' | 'group-lost';

export interface PartitionCommitterOptions {
  /** Commits everything before `nextOffset` (the first offset not done) for the partition. */
  commit(nextOffset: string): Promise<void>;
  retry?: RetryPolicy;
  /** Told about each failed attempt: what kind of failure, and whether another attempt follows (`retry`). */
  onError(error: unknown, attempt: number, action: CommitErrorAction): void;
}

/**
 * Commits one partition's offsets as messages finish, one request at a time,
 * always the newest offset asked for (a later commit covers earlier ones).
 *
 * Why not a promise chain: a rejected link there stays unhandled until the
 * whole batch settles (Node's default then exits the process), and it skips
 * every later commit. Here no call ever rejects: a failed commit is retried
 * with backoff while retrying can help, and otherwise reported and left to a
 * later commit; an offset never committed is simply redelivered.
 */
export class PartitionCommitter {
  private wanted: bigint | undefined;
  /** Offsets up to here were tried to the end (committed, or given up on). */
  private settledUpTo: bigint | undefined;
  private committed: bigint | undefined;
  private lost = false;
  private running: Promise<void> | undefined;
  private readonly closed = new AbortController();
  private readonly retry: RetryPolicy;

  constructor(private readonly options: PartitionCommitterOptions) {
    this.retry = options.retry ?? defaultCommitRetryPolicy;
  }

  /** Asks for everything before `nextOffset` to be committed. */
  request(nextOffset: string): void {
    if (this.closed.signal.aborted || this.lost) return;
    const offset = BigInt(nextOffset);
    if (this.wanted === undefined || offset > this.wanted) this.wanted = offset;
    this.kick();
  }

  /** Waits for the commits asked for so far to be done or given up; never rejects. */
  async flush(): Promise<CommitOutcome> {
    while (this.running) await this.running;
    if (this.lost) return 'group-lost';
    return this.wanted === this.committed ? 'committed' : 'failed';
  }

  /** Stops committing (the batch is over: its payload must not be used any more). */
  close(): void {
    this.closed.abort();
  }

  private hasWork(): boolean {
    return !this.closed.signal.aborted && !this.lost && this.wanted !== undefined && (this.settledUpTo === undefined || this.wanted > this.settledUpTo);
  }

  private kick(): void {
    if (this.running || !this.hasWork()) return;
    // A request made while the loop was finishing is picked up by the next one.
    this.running = this.commitWanted().finally(() => {
      this.running = undefined;
      this.kick();
    });
  }

  private async commitWanted(): Promise<void> {
    for (let attempt = 1; this.hasWork(); attempt += 1) {
      const target = this.wanted as bigint;
      try {
        await this.options.commit(target.toString());
        this.committed = target;
        this.settledUpTo = target;
        attempt = 0;
        continue;
      } catch (error) {
        const action = commitErrorAction(error);
        const again = action === 'retry' && attempt < this.retry.maxAttempts && !this.closed.signal.aborted;
        this.report(error, attempt, again ? 'retry' : action === 'group-lost' ? 'group-lost' : 'give-up');
        if (action === 'group-lost') {
          this.lost = true;
          return;
        }
        if (!again) {
          this.settledUpTo = target;
          return;
        }
      }
      await sleep(backoffDelayMs(this.retry, attempt), this.closed.signal);
    }
  }

  private report(error: unknown, attempt: number, action: CommitErrorAction): void {
    try {
      this.options.onError(error, attempt, action);
    } catch {
      // Reporting must not break committing.
    }
  }
}
