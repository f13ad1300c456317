// What one fault run came to: every request sent, what the pipeline answered
// (results stored in Redis), how often each result was announced on the
// results topic, and the accuracy of the good requests against the corpus
// truth. Pure, so the rules that decide a pass are tested on their own.
import { scoreCorpus } from '@conveyor/corpus';

/** A request of a run: a corpus image (good) or a poison input that must fail. */
export interface SentRequest {
  id: string;
  kind: 'good' | 'poison';
  /** The corpus item a good request carries (its truth). */
  itemId?: string;
  /** The error code a poison input's failed result must name. */
  expectedCode?: string;
}

/** What Redis holds for a request at the end. */
export interface StoredResult {
  status: 'ok' | 'failed';
  lines: readonly string[];
  errorCode?: string;
}

export interface TruthLines {
  id: string;
  lines: readonly string[];
  rotated180: boolean;
}

export interface RunObservation {
  fault: string;
  requests: readonly SentRequest[];
  stored: ReadonlyMap<string, StoredResult>;
  /** Result announcements on the results topic, by request id. */
  announcements: ReadonlyMap<string, number>;
  /** Messages on the pipeline's dead-letter topics, by request id. */
  deadLetters: ReadonlyMap<string, number>;
  truth: readonly TruthLines[];
  /** Seconds from the fault to the platform being whole again (undefined: no fault, or not measured). */
  healSeconds?: number;
  /** Sends that had to be repeated (the broker was away); the id stays the same, so a repeat is not a new request. */
  sendRetries: number;
  /** Problems the run itself saw (a fault that could not be injected, a stage that did not come back). */
  notes?: readonly string[];
}

export interface FaultRow {
  fault: string;
  sent: number;
  ok: number;
  failed: number;
  /** Poison inputs among `sent`: each must come back `failed`. */
  expectedFailed: number;
  /** Requests without a stored result at the deadline. */
  missing: number;
  /** Requests whose result was announced more than once. */
  duplicated: number;
  /** Character error rate of the good requests' stored text (missing ones count as empty). */
  cer: number;
  /** `cer` minus the no-fault run's (null for the no-fault run itself). */
  cerDelta: number | null;
  healSeconds?: number;
  sendRetries: number;
  /** Why the row fails; empty when it passes. */
  problems: string[];
}

export interface TallyRules {
  /** How far CER may move from the no-fault run (absolute, 0.005 = half a point): batching can change a crop's padding. */
  cerTolerance: number;
}

export const DEFAULT_RULES: TallyRules = { cerTolerance: 0.005 };

const listed = (ids: readonly string[], max = 3): string => ids.slice(0, max).join(', ') + (ids.length > max ? ` and ${ids.length - max} more` : '');

export function tallyRun(observation: RunObservation, baselineCer: number | undefined, rules: TallyRules = DEFAULT_RULES): FaultRow {
  const { requests, stored, announcements } = observation;
  const problems = [...(observation.notes ?? [])];
  const missing = requests.filter((r) => !stored.has(r.id)).map((r) => r.id);
  const ok = requests.filter((r) => stored.get(r.id)?.status === 'ok');
  const failed = requests.filter((r) => stored.get(r.id)?.status === 'failed');
  const poison = requests.filter((r) => r.kind === 'poison');
  const goodFailed = failed.filter((r) => r.kind === 'good').map((r) => `${r.id} (${stored.get(r.id)?.errorCode ?? '?'})`);
  const poisonOk = poison.filter((r) => stored.get(r.id)?.status === 'ok').map((r) => r.id);
  const wrongCode = poison
    .filter((r) => stored.get(r.id)?.status === 'failed' && r.expectedCode !== undefined && stored.get(r.id)?.errorCode !== r.expectedCode)
    .map((r) => `${r.id} (${stored.get(r.id)?.errorCode ?? '?'}, not ${r.expectedCode})`);
  // A failed result without its dead letter would be a failure nobody can inspect or replay.
  const undeadLettered = failed.filter((r) => (observation.deadLetters.get(r.id) ?? 0) === 0).map((r) => r.id);
  // An announcement is how a producer hears of a result: more than one is a duplicate; none for a stored result is a lost event.
  const duplicated = requests.filter((r) => (announcements.get(r.id) ?? 0) > 1).map((r) => r.id);
  const unannounced = requests.filter((r) => stored.has(r.id) && (announcements.get(r.id) ?? 0) === 0).map((r) => r.id);

  if (missing.length) problems.push(`${missing.length} without a result: ${listed(missing)}`);
  if (duplicated.length) problems.push(`${duplicated.length} announced more than once: ${listed(duplicated)}`);
  if (unannounced.length) problems.push(`${unannounced.length} stored but never announced: ${listed(unannounced)}`);
  if (goodFailed.length) problems.push(`${goodFailed.length} good requests failed: ${listed(goodFailed)}`);
  if (poisonOk.length) problems.push(`${poisonOk.length} poison inputs answered ok: ${listed(poisonOk)}`);
  if (wrongCode.length) problems.push(`${wrongCode.length} poison inputs failed for another reason: ${listed(wrongCode)}`);
  if (undeadLettered.length) problems.push(`${undeadLettered.length} failed without a dead letter: ${listed(undeadLettered)}`);

  const truthById = new Map(observation.truth.map((t) => [t.id, t]));
  const good = requests.filter((r) => r.kind === 'good');
  const scorable = good.map((r) => {
    const truth = r.itemId === undefined ? undefined : truthById.get(r.itemId);
    if (!truth) throw new Error(`request ${r.id} names corpus item ${String(r.itemId)}, which the truth does not hold`);
    return { id: r.id, lines: truth.lines, rotated180: truth.rotated180 };
  });
  const predictions = new Map<string, string[]>();
  for (const r of good) {
    const result = stored.get(r.id);
    if (result?.status === 'ok') predictions.set(r.id, [...result.lines]);
  }
  const cer = scorable.length ? scoreCorpus(scorable, predictions).overall.cer : 0;
  const cerDelta = baselineCer === undefined ? null : cer - baselineCer;
  if (baselineCer !== undefined && Math.abs(cer - baselineCer) > rules.cerTolerance) {
    problems.push(`CER ${percent(cer)} against ${percent(baselineCer)} without a fault`);
  }

  return {
    fault: observation.fault,
    sent: requests.length,
    ok: ok.length,
    failed: failed.length,
    expectedFailed: poison.length,
    missing: missing.length,
    duplicated: duplicated.length,
    cer,
    cerDelta,
    healSeconds: observation.healSeconds,
    sendRetries: observation.sendRetries,
    problems,
  };
}

export const percent = (share: number): string => `${(share * 100).toFixed(2)} %`;
