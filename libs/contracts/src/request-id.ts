import { ContractError, quote } from './errors';

/**
 * A request id is the CloudEvent `ce_id`, the Kafka key on every hop and part
 * of the Redis result key, so it must survive all three unchanged: 1..256
 * visible ASCII characters (0x21-0x7E). Whitespace is excluded on purpose —
 * an id that differs only by a trailing space is a bug waiting in a log grep.
 */
export const MAX_REQUEST_ID_LENGTH = 256;

const VISIBLE_ASCII = /^[\x21-\x7e]+$/;

export function isValidRequestId(id: unknown): id is string {
  return typeof id === 'string' && id.length <= MAX_REQUEST_ID_LENGTH && VISIBLE_ASCII.test(id);
}

/** Explains why `id` is not a valid request id, or returns undefined when it is. */
export function requestIdProblem(id: unknown): string | undefined {
  if (typeof id !== 'string') return `must be a string (got ${typeof id})`;
  if (id.length === 0) return 'must not be empty';
  if (id.length > MAX_REQUEST_ID_LENGTH) return `must be at most ${MAX_REQUEST_ID_LENGTH} chars long, not ${id.length}`;
  if (!VISIBLE_ASCII.test(id)) {
    const index = [...id].findIndex((c) => !VISIBLE_ASCII.test(c));
    return `must be visible ASCII without spaces (character ${index} is not)`;
  }
  return undefined;
}

export function assertValidRequestId(id: unknown, where = 'request id'): string {
  const problem = requestIdProblem(id);
  if (problem !== undefined) throw new ContractError('INVALID_REQUEST_ID', `${where} ${problem} (got ${quote(id)})`);
  return id as string;
}
