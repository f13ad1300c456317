import { announcedRedisKey, resultRedisKey } from '@conveyor/contracts';
import type Redis from 'ioredis';
import type { Producer } from 'kafkajs';
import { originalHeaders, type DeadLetter } from './dead-letters';

/** What Redis holds for a dead letter's request now: its result's status, or none (expired, deleted, never written). */
export type ResultStatus = 'ok' | 'failed' | 'none';

/** The current result status of each request id (one MGET per pipeline key prefix). */
export async function resultStatuses(redis: Redis, letters: readonly DeadLetter[]): Promise<Map<DeadLetter, ResultStatus>> {
  const statuses = new Map<DeadLetter, ResultStatus>();
  const withId = letters.filter((l) => l.requestId !== undefined);
  if (withId.length === 0) return statuses;
  const values = await redis.mget(...withId.map((l) => resultRedisKey(l.requestId as string, l.resultKeyPrefix)));
  withId.forEach((letter, i) => statuses.set(letter, statusOf(values[i])));
  return statuses;
}

function statusOf(json: string | null): ResultStatus {
  if (json === null) return 'none';
  try {
    return (JSON.parse(json) as { status?: unknown }).status === 'ok' ? 'ok' : 'failed';
  } catch {
    return 'failed';
  }
}

/**
 * Deletes a request's result and its announced marker unless the result is
 * `ok`, in one step (Lua): an `ok` written meanwhile is never deleted.
 * Returns 0 when an `ok` result is there (nothing deleted), 1 otherwise.
 */
const RESET_FAILED_SCRIPT = `
local stored = redis.call('GET', KEYS[1])
if stored then
  local parsed, result = pcall(cjson.decode, stored)
  if parsed and type(result) == 'table' and result['status'] == 'ok' then return 0 end
end
redis.call('DEL', KEYS[1], KEYS[2])
return 1`;

export type ReplayOutcome =
  | { letter: DeadLetter; outcome: 'replayed'; to: { topic: string; partition: number; offset: string } }
  | { letter: DeadLetter; outcome: 'would-replay' }
  | { letter: DeadLetter; outcome: 'skipped'; reason: string }
  | { letter: DeadLetter; outcome: 'failed'; reason: string };

export interface ReplayOptions {
  producer: Producer;
  redis: Redis;
  /** Say what would be replayed, change nothing. */
  dryRun?: boolean;
}

/**
 * Replays dead letters (docs/architecture.md, "Dead letters"): for each
 * request, only its newest dead letter among `letters`. Per request:
 *
 * 1. skipped when its result is already `ok` (a replay that succeeded, or a
 *    redelivery that did), when it has no request id or no readable origin,
 *    or when its claim-checked payload is gone from Redis;
 * 2. its `failed` result and announced marker are deleted (never an `ok`
 *    one), so the replay's result is stored and announced: the result store
 *    keeps the first result written for an id;
 * 3. the original key, value and headers (reason headers stripped) are
 *    published to the origin topic, acks=-1.
 *
 * Deleting comes first: published first, the replay could finish before the
 * failed result is gone, and its result would be refused. If publishing then
 * fails, the request has no result and its dead letter is still there:
 * replaying again picks it up.
 */
export async function replayDeadLetters(letters: readonly DeadLetter[], options: ReplayOptions): Promise<ReplayOutcome[]> {
  const { producer, redis, dryRun = false } = options;
  const newest = new Map<string, DeadLetter>();
  const outcomes: ReplayOutcome[] = [];
  for (const letter of letters) {
    if (letter.requestId === undefined) {
      outcomes.push({ letter, outcome: 'skipped', reason: 'no request id (ce_id or key): it could have no result' });
      continue;
    }
    const key = `${letter.resultKeyPrefix}${letter.requestId}`;
    const seen = newest.get(key);
    if (!seen || letter.time.getTime() >= seen.time.getTime()) {
      if (seen) outcomes.push({ letter: seen, outcome: 'skipped', reason: `superseded by the newer dead letter ${letter.position}` });
      newest.set(key, letter);
    } else {
      outcomes.push({ letter, outcome: 'skipped', reason: `superseded by the newer dead letter ${seen.position}` });
    }
  }
  const chosen = [...newest.values()];
  const statuses = await resultStatuses(redis, chosen);
  for (const letter of chosen) {
    const id = letter.requestId as string;
    if (!letter.origin) {
      outcomes.push({ letter, outcome: 'skipped', reason: `its reason headers are unreadable (${letter.malformed ?? 'no origin'})` });
      continue;
    }
    if (statuses.get(letter) === 'ok') {
      outcomes.push({ letter, outcome: 'skipped', reason: 'its request already has an ok result' });
      continue;
    }
    if (letter.claimKey && (await redis.exists(letter.claimKey)) === 0) {
      outcomes.push({ letter, outcome: 'skipped', reason: `its claim-checked payload ${letter.claimKey} is gone from Redis (CLAIM_TTL_SECONDS)` });
      continue;
    }
    if (dryRun) {
      outcomes.push({ letter, outcome: 'would-replay' });
      continue;
    }
    const reset = Number(await redis.eval(RESET_FAILED_SCRIPT, 2, resultRedisKey(id, letter.resultKeyPrefix), announcedRedisKey(id, letter.resultKeyPrefix)));
    if (reset === 0) {
      outcomes.push({ letter, outcome: 'skipped', reason: 'its request already has an ok result' });
      continue;
    }
    try {
      const [sent] = await producer.send({
        topic: letter.origin.topic,
        acks: -1,
        messages: [{ key: letter.key, value: letter.value, headers: originalHeaders(letter.headers) }],
      });
      outcomes.push({ letter, outcome: 'replayed', to: { topic: sent.topicName, partition: sent.partition, offset: sent.baseOffset ?? '?' } });
    } catch (error) {
      outcomes.push({ letter, outcome: 'failed', reason: `publishing to ${letter.origin.topic} failed: ${(error as Error).message}` });
    }
  }
  return outcomes;
}
