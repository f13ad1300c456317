import { randomBytes } from 'node:crypto';
import { CloudEventHeader, ConveyorHeader, headerString, MAX_REQUEST_ID_LENGTH, requestIdProblem, type KafkaHeaders } from '@conveyor/contracts';

/** Headers a replayed request carries besides the original ones. */
export const ReplayHeader = {
  /** The request id the message had on the live input topic. */
  of: 'conveyor-replay-of',
  /** The replay run that copied it. */
  run: 'conveyor-replay-run',
} as const;

/**
 * A run id names the replay's topics (`replay.<runId>.`), its copier group
 * (`conveyor-replay-<runId>`), its state file and the prefix of every replayed
 * request id, so it must be safe in all of them: letters, digits, `_` and `-`.
 */
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export function runIdProblem(runId: string): string | undefined {
  return RUN_ID.test(runId) ? undefined : `--run-id must be 1-64 letters, digits, "_" or "-", starting with a letter or digit (got "${runId}")`;
}

/** `r20261130-081500-3fa9`: sortable by start time, unique enough for a person starting replays. */
export function newRunId(now: Date = new Date(), random: () => string = () => randomBytes(2).toString('hex')): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `r${stamp}-${random()}`;
}

/** Where the replayed pipeline's topics and groups live: under the live prefix, `replay.<runId>.`. */
export function replayTopicPrefix(liveTopicPrefix: string, runId: string): string {
  return `${liveTopicPrefix}replay.${runId}.`;
}

/** The consumer group that copies the window (TOPIC_PREFIX first, as for the stages' groups). */
export function copierGroup(liveTopicPrefix: string, runId: string): string {
  return `${liveTopicPrefix}conveyor-replay-${runId}`;
}

export type ReplayIdResult = { ok: true; id: string } | { ok: false; reason: string };

/** `<runId>.<originalId>`, or why it cannot be a request id (too long: the contract allows 256 characters). */
export function replayRequestId(runId: string, originalId: string): ReplayIdResult {
  const id = `${runId}.${originalId}`;
  if (id.length > MAX_REQUEST_ID_LENGTH) {
    return {
      ok: false,
      reason: `the replay id "${runId}.<id>" would be ${id.length} characters, over the ${MAX_REQUEST_ID_LENGTH} a request id may have; use a shorter --run-id (the original id has ${originalId.length})`,
    };
  }
  const problem = requestIdProblem(id);
  return problem === undefined ? { ok: true, id } : { ok: false, reason: `the replay id ${problem}` };
}

/** The request id of a live request: its `ce_id`, else its Kafka key (as the stages read it). */
export function originalRequestId(headers: KafkaHeaders | undefined, key: Buffer | null | undefined): string | undefined {
  const id = headerString(headers, CloudEventHeader.id) ?? key?.toString('utf8');
  return id === undefined || id.length === 0 ? undefined : id;
}

/** Header names compared case-insensitively, as headerString reads them. */
const DROPPED = new Set<string>([
  CloudEventHeader.id,
  // The replay is its own trace, not a child of the live request's trace.
  CloudEventHeader.traceparent,
  CloudEventHeader.tracestate,
  // What stages add on their way (timings, versions) belongs to the live run.
  ConveyorHeader.timings,
  'conveyor-versions',
  ReplayHeader.of,
  ReplayHeader.run,
]);

/**
 * The headers of a replayed request: the original ones (type, source, content
 * type, anything a producer added) with `ce_id` set to the replay id, trace
 * context dropped, and `conveyor-replay-of` / `conveyor-replay-run` added.
 */
export function replayHeaders(original: KafkaHeaders | undefined, replayId: string, originalId: string, runId: string): KafkaHeaders {
  const headers: KafkaHeaders = {};
  for (const [name, value] of Object.entries(original ?? {})) {
    if (value === undefined || DROPPED.has(name.toLowerCase())) continue;
    headers[name] = Array.isArray(value) ? value.map(copyValue) : copyValue(value);
  }
  headers[CloudEventHeader.id] = replayId;
  headers[ReplayHeader.of] = originalId;
  headers[ReplayHeader.run] = runId;
  return headers;
}

/** kafkajs hands out slices of the fetch response: keep copies, never the slices. */
function copyValue(value: Buffer | string): Buffer | string {
  return Buffer.isBuffer(value) ? Buffer.from(value) : value;
}
