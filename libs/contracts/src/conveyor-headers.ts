/**
 * Conveyor's own Kafka headers, beside the CloudEvents ones: claim checks,
 * dead-letter reasons (docs/architecture.md, "Dead letters") and per-stage timings.
 */
import { headerString, type KafkaHeaders } from './cloudevents';
import { ContractError, quote } from './errors';
import { isValidTopicName } from './topics';

export const ConveyorHeader = {
  /** Redis key of a payload moved out of the message (claim check). */
  claim: 'conveyor-claim',
  errorCode: 'conveyor-error-code',
  errorMessage: 'conveyor-error-message',
  stage: 'conveyor-stage',
  attempts: 'conveyor-attempts',
  /** `<topic>/<partition>/<offset>` of the message that was dead-lettered. */
  origin: 'conveyor-origin',
  /** JSON `{ "<stage>": ms }`, one entry added by each stage a request passed. */
  timings: 'conveyor-timings',
  /** JSON `[{stage, version, configHash, models}]`, one entry appended by each stage (versions.ts). */
  versions: 'conveyor-versions',
} as const;

export interface KafkaOrigin {
  topic: string;
  partition: number;
  /** Decimal int64, as kafkajs hands offsets out. */
  offset: string;
}

const MAX_INT32 = 2 ** 31 - 1;
const MAX_INT64 = 2n ** 63n - 1n;

function originError(value: string, why: string): ContractError {
  return new ContractError(
    'INVALID_HEADER',
    `Kafka header "${ConveyorHeader.origin}" must be <topic>/<partition>/<offset>: ${why} (got ${quote(value)})`,
  );
}

/** `topic/partition/offset`: "/" cannot occur in a topic name, so this splits unambiguously. */
export function formatOrigin(origin: { topic: string; partition: number; offset: string | number | bigint }): string {
  const text = `${origin.topic}/${origin.partition}/${origin.offset}`;
  parseOrigin(text); // refuse to write what we would refuse to read
  return text;
}

export function parseOrigin(value: string): KafkaOrigin {
  const parts = value.split('/');
  if (parts.length !== 3) throw originError(value, `expected 3 parts separated by "/", found ${parts.length}`);
  const [topic, partitionText, offsetText] = parts;
  if (!isValidTopicName(topic)) throw originError(value, `${quote(topic)} is not a valid topic name`);
  if (!/^(0|[1-9][0-9]{0,9})$/.test(partitionText) || Number(partitionText) > MAX_INT32) {
    throw originError(value, `partition ${quote(partitionText)} is not an int32 >= 0`);
  }
  if (!/^(0|[1-9][0-9]{0,18})$/.test(offsetText) || BigInt(offsetText) > MAX_INT64) {
    throw originError(value, `offset ${quote(offsetText)} is not an int64 >= 0`);
  }
  return { topic, partition: Number(partitionText), offset: offsetText };
}

// ---- timings ---------------------------------------------------------------

export type StageTimings = Record<string, number>;

/** Bounds that keep the header small however a request loops or a producer misbehaves. */
export const TimingLimits = {
  maxStages: 32,
  maxHeaderBytes: 4096,
  /** A week: anything longer is a clock bug, not a measurement. */
  maxMs: 7 * 24 * 3600 * 1000,
} as const;

const STAGE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function isValidStageName(stage: string): boolean {
  return typeof stage === 'string' && STAGE_NAME.test(stage);
}

function timingsError(why: string): ContractError {
  return new ContractError('INVALID_HEADER', `Kafka header "${ConveyorHeader.timings}" ${why}`);
}

function checkStage(stage: string): void {
  if (!isValidStageName(stage)) {
    throw timingsError(`has an invalid stage name ${quote(stage)}: use 1-64 letters, digits, ".", "_", "-"`);
  }
}

function checkMs(stage: string, ms: unknown): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0 || ms > TimingLimits.maxMs) {
    throw timingsError(`entry ${quote(stage)} must be a number of ms in [0, ${TimingLimits.maxMs}] (got ${quote(ms)})`);
  }
  // Microseconds are plenty and keep the JSON short.
  return Math.round(ms * 1000) / 1000;
}

/** Validates a decoded timings object; throws INVALID_HEADER naming the bad entry. */
export function validateTimings(value: unknown): StageTimings {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw timingsError(`must be a JSON object of stage -> ms (got ${quote(value)})`);
  }
  const entries = Object.entries(value);
  if (entries.length > TimingLimits.maxStages) {
    throw timingsError(`has ${entries.length} entries, over the limit of ${TimingLimits.maxStages}`);
  }
  return Object.fromEntries(
    entries.map(([stage, ms]) => {
      checkStage(stage);
      return [stage, checkMs(stage, ms)];
    }),
  );
}

/** Timings carried by a message; `{}` when the header is absent. Throws INVALID_HEADER when it is malformed. */
export function parseTimings(headers: KafkaHeaders | undefined): StageTimings {
  const raw = headerString(headers, ConveyorHeader.timings);
  if (raw === undefined) return {};
  const bytes = Buffer.byteLength(raw, 'utf8');
  if (bytes > TimingLimits.maxHeaderBytes) {
    throw timingsError(`is ${bytes} bytes, over the limit of ${TimingLimits.maxHeaderBytes}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw timingsError(`is not valid JSON (got ${quote(raw)})`);
  }
  return validateTimings(parsed);
}

/**
 * A copy of `timings` with `stage` set to `ms`. A stage seen again (a retry,
 * a redelivery) replaces its entry: the timing describes the attempt that
 * produced this output.
 */
export function withTiming(timings: StageTimings, stage: string, ms: number): StageTimings {
  checkStage(stage);
  const value = checkMs(stage, ms);
  const next = { ...validateTimings(timings) };
  if (!Object.hasOwn(next, stage) && Object.keys(next).length >= TimingLimits.maxStages) {
    throw timingsError(`would exceed ${TimingLimits.maxStages} entries when adding ${quote(stage)}`);
  }
  next[stage] = value;
  return next;
}

export function formatTimings(timings: StageTimings): string {
  return JSON.stringify(validateTimings(timings));
}

// ---- dead letters ------------------------------------------------------------

export interface DeadLetterReason {
  /** A ContractErrorCode or a stage-specific code. */
  code: string;
  message: string;
  stage: string;
  /** How many times the stage tried before giving up (>= 1). */
  attempts: number;
  origin: KafkaOrigin;
}

/** Error messages can embed whole inputs; a header is no place for megabytes. */
export const MAX_ERROR_MESSAGE_LENGTH = 2000;

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The reason headers added to the original ones when a message is dead-lettered. */
export function deadLetterHeaders(reason: DeadLetterReason): Record<string, string> {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(reason.code)) {
    throw new ContractError(
      'INVALID_HEADER',
      `dead-letter error code must be 1-64 of [A-Za-z0-9_.-] (got ${quote(reason.code)})`,
    );
  }
  if (!isValidStageName(reason.stage)) {
    throw new ContractError('INVALID_HEADER', `dead-letter stage name is invalid (got ${quote(reason.stage)})`);
  }
  if (!Number.isSafeInteger(reason.attempts) || reason.attempts < 1) {
    throw new ContractError(
      'INVALID_HEADER',
      `dead-letter attempts must be an integer >= 1 (got ${quote(reason.attempts)})`,
    );
  }
  return {
    [ConveyorHeader.errorCode]: reason.code,
    [ConveyorHeader.errorMessage]: truncate(reason.message, MAX_ERROR_MESSAGE_LENGTH),
    [ConveyorHeader.stage]: reason.stage,
    [ConveyorHeader.attempts]: String(reason.attempts),
    [ConveyorHeader.origin]: formatOrigin(reason.origin),
  };
}

/** The reason a dead letter carries (for tools reading a .dlq topic); throws when a reason header is missing or bad. */
export function parseDeadLetterReason(headers: KafkaHeaders): DeadLetterReason {
  const get = (name: string): string => {
    const value = headerString(headers, name);
    if (value === undefined)
      throw new ContractError('MISSING_HEADER', `missing Kafka header "${name}" on a dead letter`);
    return value;
  };
  const attemptsText = get(ConveyorHeader.attempts);
  if (!/^[1-9][0-9]{0,8}$/.test(attemptsText)) {
    throw new ContractError(
      'INVALID_HEADER',
      `Kafka header "${ConveyorHeader.attempts}" must be an integer >= 1 (got ${quote(attemptsText)})`,
    );
  }
  return {
    code: get(ConveyorHeader.errorCode),
    message: get(ConveyorHeader.errorMessage),
    stage: get(ConveyorHeader.stage),
    attempts: Number(attemptsText),
    origin: parseOrigin(get(ConveyorHeader.origin)),
  };
}
