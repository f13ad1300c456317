import { KafkaJSConnectionError, KafkaJSProtocolError } from 'kafkajs';
import type { CommitErrorAction } from './kafka-errors';
import { PartitionCommitter } from './partition-committer';

const noWait = { maxAttempts: 3, initialBackoffMs: 0, maxBackoffMs: 0 };

function protocolError(type: string, retriable: boolean): KafkaJSProtocolError {
  return new KafkaJSProtocolError(Object.assign(new Error(type), { type, code: 0, retriable }));
}

/** A commit function that fails with the queued errors first, and records what it was asked. */
function scriptedCommit(failures: unknown[] = []) {
  const calls: string[] = [];
  const committed: string[] = [];
  let release: (() => void) | undefined;
  let hold = false;
  return {
    calls,
    committed,
    holdNext(): void {
      hold = true;
    },
    release(): void {
      hold = false;
      release?.();
    },
    commit: async (offset: string): Promise<void> => {
      calls.push(offset);
      if (hold) await new Promise<void>((resolve) => (release = resolve));
      const failure = failures.shift();
      if (failure !== undefined) throw failure;
      committed.push(offset);
    },
  };
}

function committerFor(commit: (offset: string) => Promise<void>, errors: Array<[number, CommitErrorAction]> = [], retry = noWait) {
  return new PartitionCommitter({ commit, retry, onError: (_, attempt, action) => errors.push([attempt, action]) });
}

describe('PartitionCommitter', () => {
  it('commits each requested offset, and reports success on flush', async () => {
    const script = scriptedCommit();
    const committer = committerFor(script.commit);
    committer.request('1');
    expect(await committer.flush()).toBe('committed');
    committer.request('2');
    expect(await committer.flush()).toBe('committed');
    expect(script.committed).toEqual(['1', '2']);
  });

  it('reports committed when nothing was requested', async () => {
    expect(await committerFor(scriptedCommit().commit).flush()).toBe('committed');
  });

  it('coalesces requests made while a commit is under way into one commit of the newest offset', async () => {
    const script = scriptedCommit();
    const committer = committerFor(script.commit);
    script.holdNext();
    committer.request('1');
    committer.request('2');
    committer.request('3');
    committer.request('2'); // older than what is wanted: ignored
    script.release();
    expect(await committer.flush()).toBe('committed');
    expect(script.committed).toEqual(['1', '3']);
  });

  it('retries a retriable failure (coordinator moved, broker restart) and never rejects', async () => {
    const errors: Array<[number, CommitErrorAction]> = [];
    const script = scriptedCommit([protocolError('NOT_COORDINATOR_FOR_GROUP', true), new KafkaJSConnectionError('Connection error')]);
    const committer = committerFor(script.commit, errors);
    committer.request('5');
    expect(await committer.flush()).toBe('committed');
    expect(script.calls).toEqual(['5', '5', '5']);
    expect(errors).toEqual([
      [1, 'retry'],
      [2, 'retry'],
    ]);
  });

  it('retries with the newest offset asked for meanwhile', async () => {
    const script = scriptedCommit([protocolError('NOT_COORDINATOR_FOR_GROUP', true)]);
    const committer = committerFor(script.commit, [], { maxAttempts: 3, initialBackoffMs: 20, maxBackoffMs: 20 });
    committer.request('1');
    await new Promise((resolve) => setImmediate(resolve)); // the first attempt has failed and is backing off
    committer.request('4');
    expect(await committer.flush()).toBe('committed');
    expect(script.calls).toEqual(['1', '4']);
  });

  it('gives up after the bounded attempts, reports failed, and commits again on a later request', async () => {
    const errors: Array<[number, CommitErrorAction]> = [];
    const timeout = () => new KafkaJSConnectionError('Connection timeout');
    const script = scriptedCommit([timeout(), timeout(), timeout()]);
    const committer = committerFor(script.commit, errors);
    committer.request('1');
    expect(await committer.flush()).toBe('failed');
    expect(errors).toEqual([
      [1, 'retry'],
      [2, 'retry'],
      [3, 'give-up'],
    ]);
    committer.request('2'); // a later commit covers the one given up on
    expect(await committer.flush()).toBe('committed');
    expect(script.committed).toEqual(['2']);
  });

  it('does not retry a permanent failure', async () => {
    const errors: Array<[number, CommitErrorAction]> = [];
    const committer = committerFor(scriptedCommit([new TypeError('bug')]).commit, errors);
    committer.request('1');
    expect(await committer.flush()).toBe('failed');
    expect(errors).toEqual([[1, 'give-up']]);
  });

  it('stops for good when the generation is over, without retrying', async () => {
    const errors: Array<[number, CommitErrorAction]> = [];
    const script = scriptedCommit([protocolError('ILLEGAL_GENERATION', false)]);
    const committer = committerFor(script.commit, errors);
    committer.request('1');
    expect(await committer.flush()).toBe('group-lost');
    committer.request('2');
    expect(await committer.flush()).toBe('group-lost');
    expect(script.calls).toEqual(['1']);
    expect(errors).toEqual([[1, 'group-lost']]);
  });

  it('commits nothing more once closed, and ends a backoff early', async () => {
    const script = scriptedCommit([protocolError('NOT_COORDINATOR_FOR_GROUP', true)]);
    const committer = committerFor(script.commit, [], { maxAttempts: 5, initialBackoffMs: 60_000, maxBackoffMs: 60_000 });
    committer.request('1');
    await new Promise((resolve) => setImmediate(resolve));
    committer.close();
    expect(await committer.flush()).toBe('failed');
    committer.request('2');
    expect(await committer.flush()).toBe('failed');
    expect(script.calls).toEqual(['1']);
  });

  it('survives an error reporter that throws', async () => {
    const script = scriptedCommit([protocolError('NOT_COORDINATOR_FOR_GROUP', true)]);
    const committer = new PartitionCommitter({
      commit: script.commit,
      retry: noWait,
      onError: () => {
        throw new Error('reporter bug');
      },
    });
    committer.request('1');
    expect(await committer.flush()).toBe('committed');
  });
});
