/**
 * How the stage runtime reads kafkajs errors from the group coordinator
 * (heartbeats and offset commits). kafkajs reports broker answers as
 * KafkaJSProtocolError with a `type`; retries and restarts wrap the original
 * in `cause`, so the type is looked up along the cause chain.
 */

/**
 * Answers that mean this member's generation is over or ending: a rebalance
 * has begun (or already ended without it), or the member was evicted. kafkajs
 * rejoins once eachBatch returns (its next heartbeat gets the same answer);
 * until then nothing started under this generation can be committed for sure.
 * Not NOT_COORDINATOR_FOR_GROUP: the coordinator moved (e.g. a broker
 * restart), kafkajs finds the new one and carries on WITHOUT rejoining, so
 * treating it as a rebalance would stop this member's batches for good
 * (nothing would reset the signal: it is reset on rejoin).
 */
const GROUP_CHANGING = new Set(['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'FENCED_INSTANCE_ID']);

/** Commit answers no retry under the current generation can fix (kafkajs's generation id only changes on rejoin). */
const GENERATION_LOST = new Set(['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'FENCED_INSTANCE_ID']);

interface ErrorFields {
  type?: unknown;
  retriable?: unknown;
  cause?: unknown;
}

function fieldsOf(error: unknown): ErrorFields | undefined {
  return typeof error === 'object' && error !== null ? (error as ErrorFields) : undefined;
}

/** The Kafka error type (`REBALANCE_IN_PROGRESS`…) of an error or of one it wraps; undefined if none. */
export function kafkaErrorType(error: unknown): string | undefined {
  for (let current = error, depth = 0; current !== undefined && depth < 10; depth += 1) {
    const fields = fieldsOf(current);
    if (!fields) return undefined;
    if (typeof fields.type === 'string') return fields.type;
    current = fields.cause;
  }
  return undefined;
}

/** A heartbeat (or commit) answer saying the group is rebalancing or this member left it. */
export function signalsRebalance(error: unknown): boolean {
  const type = kafkaErrorType(error);
  return type !== undefined && GROUP_CHANGING.has(type);
}

/**
 * What to do about a failed offset commit:
 * - `group-lost`: the generation is over; stop, let kafkajs rejoin, the
 *   uncommitted messages are redelivered to whoever owns the partition next;
 * - `retry`: a passing condition (coordinator moved or loading, connection
 *   lost, timeout): kafkajs marks these retriable;
 * - `give-up`: anything else (not a Kafka answer at all, or a permanent one).
 */
export type CommitErrorAction = 'group-lost' | 'retry' | 'give-up';

export function commitErrorAction(error: unknown): CommitErrorAction {
  const type = kafkaErrorType(error);
  if (type !== undefined && GENERATION_LOST.has(type)) return 'group-lost';
  // NOT_COORDINATOR_FOR_GROUP: kafkajs refreshes metadata on it, so the next attempt finds the new coordinator.
  if (type === 'NOT_COORDINATOR_FOR_GROUP') return 'retry';
  return fieldsOf(error)?.retriable === true ? 'retry' : 'give-up';
}
