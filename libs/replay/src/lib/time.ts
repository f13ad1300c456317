/**
 * The times `conveyor replay --since/--until` take: an ISO date or date-time
 * (`2026-11-30`, `2026-11-30T08:00:00Z`, `2026-11-30T09:00:00+01:00`), an age
 * counted back from now (`90s`, `15m`, `2h`, `7d`, `1w`, also `15m ago`), or
 * `now`. A date-time without a zone is local time (as `new Date` reads it).
 */
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

const AGE = /^(\d+(?:\.\d+)?)\s*(s|m|h|d|w)(?:\s+ago)?$/;
const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|z|[+-]\d{2}:?\d{2})?)?$/;

export class ReplayTimeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplayTimeError';
  }
}

export function parseReplayTime(text: string, now: Date = new Date(), option = '--since'): Date {
  const value = text.trim();
  if (value === 'now') return new Date(now.getTime());
  const age = AGE.exec(value);
  if (age) return new Date(now.getTime() - Number(age[1]) * UNIT_MS[age[2] as keyof typeof UNIT_MS]);
  if (ISO.test(value)) {
    const date = new Date(value.replace(' ', 'T'));
    if (!Number.isNaN(date.getTime()) && Number(value.slice(5, 7)) <= 12 && Number(value.slice(8, 10)) <= 31) return date;
  }
  throw new ReplayTimeError(
    `${option} wants an ISO date or time (2026-11-30, 2026-11-30T08:00:00Z), an age (90s, 15m, 2h, 7d, 1w) or "now", got "${text}"`,
  );
}

export interface ReplayWindow {
  since: Date;
  /** Absent: up to the end of the topic as it is when the replay starts. */
  until?: Date;
}

/** Both ends parsed against the same `now`; `since` must be before `until` and not in the future. */
export function parseReplayWindow(since: string, until: string | undefined, now: Date = new Date()): ReplayWindow {
  const start = parseReplayTime(since, now, '--since');
  const end = until === undefined ? undefined : parseReplayTime(until, now, '--until');
  if (start.getTime() > now.getTime()) throw new ReplayTimeError(`--since ${start.toISOString()} is in the future`);
  if (end && end.getTime() <= start.getTime()) {
    throw new ReplayTimeError(`--until ${end.toISOString()} must be after --since ${start.toISOString()}`);
  }
  return { since: start, until: end };
}
