import type Redis from 'ioredis';

/** Redis keys of attempt markers: `conveyor:attempts:<group>/<topic>/<partition>/<offset>`. */
export const ATTEMPT_KEY_PREFIX = 'conveyor:attempts:';

/** An input as the attempt markers know it: which consumer group works on which Kafka message. */
export interface AttemptPosition {
  groupId: string;
  topic: string;
  partition: number;
  offset: string;
}

/**
 * Attempt markers (poison quarantine, docs/architecture.md "Dead letters"):
 * a stage marks an input in Redis before it works on it and removes the mark
 * once the input is finished. A mark that is still there when the input comes
 * back means a process started it and died before finishing it: a native
 * crash in a decoder or ONNX Runtime, an OOM kill. Kept outside the process,
 * unlike in-process retry counts, so it survives the deaths it counts.
 */
export interface AttemptMarkers {
  /**
   * Marks the input as started unless it is marked already. Resolves to the
   * earlier starts that never finished: 0 (then it is marked now), or the
   * mark's count (then it is left as it is).
   */
  start(position: AttemptPosition): Promise<number>;
  /** Counts one more start of a marked input; resolves to the earlier unfinished starts. */
  restart(position: AttemptPosition): Promise<number>;
  /** Removes the marks of finished inputs (one round trip for all of them). */
  clear(positions: readonly AttemptPosition[]): Promise<void>;
}

export function attemptKey(position: AttemptPosition, prefix = ATTEMPT_KEY_PREFIX): string {
  return `${prefix}${position.groupId}/${position.topic}/${position.partition}/${position.offset}`;
}

/** Marks an unmarked input (count 1, with its TTL) and answers 0; a marked one answers its count, untouched. */
const START_SCRIPT = `
local count = redis.call('GET', KEYS[1])
if count then return tonumber(count) end
redis.call('SET', KEYS[1], '1', 'EX', ARGV[1])
return 0`;

type WithStartCommand = Redis & { conveyorAttemptStart(key: string, ttlSeconds: number): Promise<number> };

/**
 * Attempt markers in Redis, one key per input with a TTL (a mark nobody
 * clears, because its input was committed by a process that died right after,
 * expires on its own). Starting an input costs one round trip (a script:
 * read, and set when absent); a suspect input costs one more (INCR and EXPIRE
 * in one MULTI); clearing is batched.
 */
export class RedisAttemptMarkers implements AttemptMarkers {
  private readonly redis: WithStartCommand;

  constructor(
    redis: Redis,
    private readonly ttlSeconds: number,
    private readonly keyPrefix = ATTEMPT_KEY_PREFIX,
  ) {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) throw new Error('attempt marker TTL must be a positive integer of seconds');
    this.redis = redis as WithStartCommand;
    if (typeof this.redis.conveyorAttemptStart !== 'function') {
      redis.defineCommand('conveyorAttemptStart', { numberOfKeys: 1, lua: START_SCRIPT });
    }
  }

  async start(position: AttemptPosition): Promise<number> {
    return Number(await this.redis.conveyorAttemptStart(attemptKey(position, this.keyPrefix), this.ttlSeconds));
  }

  async restart(position: AttemptPosition): Promise<number> {
    const key = attemptKey(position, this.keyPrefix);
    const replies = await this.redis.multi().incr(key).expire(key, this.ttlSeconds).exec();
    const [error, count] = replies?.[0] ?? [new Error('MULTI was discarded'), undefined];
    if (error) throw error;
    return Number(count) - 1;
  }

  async clear(positions: readonly AttemptPosition[]): Promise<void> {
    if (positions.length === 0) return;
    await this.redis.del(...positions.map((p) => attemptKey(p, this.keyPrefix)));
  }
}
