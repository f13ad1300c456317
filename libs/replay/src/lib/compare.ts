import { characterErrorRate } from '@conveyor/corpus';

/**
 * Comparing a replayed request's result with the live one of the time
 * (docs/architecture.md, "Replay"). Results are read as plain JSON, never
 * validated: a result of an older or newer schema is still compared on the
 * fields both have. Pure functions, no I/O.
 */

/** What a comparison row says about one replayed request. */
export type RowOutcome = 'identical' | 'different' | 'missing-live' | 'missing-replay' | 'error';

export interface ComparisonRow {
  originalId: string;
  /** `<runId>.<originalId>`; absent when no replay id could be made. */
  replayId?: string;
  outcome: RowOutcome;
  liveStatus?: string;
  replayStatus?: string;
  statusChanged: boolean;
  /** Character error rate of the replay's text against the live text (lines joined with "\n"). */
  cer?: number;
  /** Replay lines − live lines. */
  lineDelta?: number;
  /** Mean line confidence, replay − live (both have lines). */
  confidenceDelta?: number;
  /** Replay regions − live regions (redaction). */
  regionDelta?: number;
  /** Sum of the per-stage timings (ms). */
  liveMs?: number;
  replayMs?: number;
  /** `<stage>: <what> <live> -> <replay>` for each stage whose versions differ. */
  versionChanges: string[];
  /** Why the request could not be replayed (outcome `error`). */
  error?: string;
}

/** A stage's entry of a result's `versions` field, read defensively (any field may be missing). */
export interface StageVersionInfo {
  stage: string;
  version?: string;
  configHash?: string;
  models: Array<{ name: string; sha256?: string }>;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

/** A Redis value as JSON: null when absent, `{}` with a marker when it is not JSON. */
export function parseStoredResult(raw: string | null | undefined): unknown {
  if (raw === null || raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return { unparseable: raw };
  }
}

/** The `versions` field of a result (another change adds it to the envelope); undefined when absent or not a list. */
export function readVersions(result: unknown): StageVersionInfo[] | undefined {
  if (!isObject(result) || !Array.isArray(result['versions'])) return undefined;
  const entries: StageVersionInfo[] = [];
  for (const entry of result['versions']) {
    if (!isObject(entry) || str(entry['stage']) === undefined) continue;
    const models = Array.isArray(entry['models'])
      ? entry['models'].flatMap((m) => (isObject(m) && str(m['name']) !== undefined ? [{ name: m['name'] as string, sha256: str(m['sha256']) }] : []))
      : [];
    entries.push({ stage: entry['stage'] as string, version: str(entry['version']), configHash: str(entry['configHash']), models });
  }
  return entries;
}

const short = (hash: string | undefined): string => (hash === undefined ? '-' : hash.slice(0, 12));

/** What differs between the stage versions of two results, one line per change, in live stage order. */
export function versionChanges(live: readonly StageVersionInfo[] | undefined, replay: readonly StageVersionInfo[] | undefined): string[] {
  if (!live || !replay) return [];
  const replayByStage = new Map(replay.map((v) => [v.stage, v]));
  const changes: string[] = [];
  for (const l of live) {
    const r = replayByStage.get(l.stage);
    replayByStage.delete(l.stage);
    if (!r) {
      changes.push(`${l.stage}: not in the replay`);
      continue;
    }
    if (l.version !== r.version) changes.push(`${l.stage}: version ${l.version ?? '-'} -> ${r.version ?? '-'}`);
    if (l.configHash !== r.configHash) changes.push(`${l.stage}: config ${short(l.configHash)} -> ${short(r.configHash)}`);
    const names = [...new Set([...l.models, ...r.models].map((m) => m.name))];
    for (const name of names) {
      const a = l.models.find((m) => m.name === name);
      const b = r.models.find((m) => m.name === name);
      if (a?.sha256 !== b?.sha256 || !a !== !b) changes.push(`${l.stage}: model ${name} ${a ? short(a.sha256) : '(none)'} -> ${b ? short(b.sha256) : '(none)'}`);
    }
  }
  for (const stage of replayByStage.keys()) changes.push(`${stage}: only in the replay`);
  return changes;
}

/** Keys sorted at every level, so equal values always print the same. */
function canonical(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (!isObject(v)) return v;
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .filter((k) => v[k] !== undefined)
        .map((k) => [k, sort(v[k])]),
    );
  };
  return JSON.stringify(sort(value));
}

/** Fields that differ between any two runs of the same request: its id, when and how fast, and which versions ran. */
const VOLATILE = new Set(['id', 'timings', 'completedAt', 'versions']);

/** The result without its volatile fields: what "identical" compares. */
export function resultOutput(result: Json): Json {
  return Object.fromEntries(Object.entries(result).filter(([k]) => !VOLATILE.has(k)));
}

interface Line {
  text: string;
  confidence?: number;
}

function linesOf(result: Json): Line[] | undefined {
  if (!Array.isArray(result['lines'])) return undefined;
  return result['lines'].flatMap((l) => (isObject(l) && typeof l['text'] === 'string' ? [{ text: l['text'], confidence: num(l['confidence']) }] : []));
}

function meanConfidence(lines: readonly Line[]): number | undefined {
  const values = lines.flatMap((l) => (l.confidence === undefined ? [] : [l.confidence]));
  return values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0) / values.length;
}

function totalMs(result: Json): number | undefined {
  if (!isObject(result['timings'])) return undefined;
  const values = Object.values(result['timings']).flatMap((v) => (num(v) === undefined ? [] : [v as number]));
  return values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0);
}

/** Compares one replayed request's result with the live one (either may be missing: expired, timed out). */
export function compareResults(originalId: string, replayId: string, live: unknown, replay: unknown): ComparisonRow {
  const l = isObject(live) ? live : undefined;
  const r = isObject(replay) ? replay : undefined;
  const row: ComparisonRow = {
    originalId,
    replayId,
    outcome: 'identical',
    liveStatus: l ? str(l['status']) : undefined,
    replayStatus: r ? str(r['status']) : undefined,
    statusChanged: false,
    liveMs: l ? totalMs(l) : undefined,
    replayMs: r ? totalMs(r) : undefined,
    versionChanges: versionChanges(readVersions(l), readVersions(r)),
  };
  if (!r) return { ...row, outcome: 'missing-replay' };
  if (!l) return { ...row, outcome: 'missing-live' };
  row.statusChanged = row.liveStatus !== row.replayStatus;
  const liveLines = linesOf(l);
  const replayLines = linesOf(r);
  if (liveLines && replayLines) {
    row.cer = characterErrorRate(
      replayLines.map((x) => x.text),
      liveLines.map((x) => x.text),
    );
    row.lineDelta = replayLines.length - liveLines.length;
    const a = meanConfidence(liveLines);
    const b = meanConfidence(replayLines);
    if (a !== undefined && b !== undefined) row.confidenceDelta = b - a;
  }
  if (Array.isArray(l['regions']) && Array.isArray(r['regions'])) row.regionDelta = r['regions'].length - l['regions'].length;
  row.outcome = canonical(resultOutput(l)) === canonical(resultOutput(r)) ? 'identical' : 'different';
  return row;
}

/** A request that could not be replayed (no id, an id too long to prefix). */
export function errorRow(originalId: string, error: string): ComparisonRow {
  return { originalId, outcome: 'error', statusChanged: false, versionChanges: [], error };
}

export interface ComparisonSummary {
  requests: number;
  identical: number;
  different: number;
  /** No replay result (timed out) or no live result any more (expired, deleted). */
  missing: number;
  missingLive: number;
  missingReplay: number;
  /** Requests that could not be replayed. */
  errors: number;
  statusChanged: number;
  /** Mean CER over requests with lines on both sides; undefined when there are none. */
  meanCer?: number;
  meanLineDelta?: number;
  meanConfidenceDelta?: number;
  meanLiveMs?: number;
  meanReplayMs?: number;
  /** Each distinct version change and on how many requests it was seen. */
  versionChanges: Array<{ change: string; requests: number }>;
}

function mean(values: ReadonlyArray<number | undefined>): number | undefined {
  const present = values.filter((v): v is number => v !== undefined);
  return present.length === 0 ? undefined : present.reduce((a, b) => a + b, 0) / present.length;
}

export function summarise(rows: readonly ComparisonRow[]): ComparisonSummary {
  const count = (outcome: RowOutcome) => rows.filter((r) => r.outcome === outcome).length;
  const compared = rows.filter((r) => r.outcome === 'identical' || r.outcome === 'different');
  const changes = new Map<string, number>();
  for (const row of rows) for (const change of new Set(row.versionChanges)) changes.set(change, (changes.get(change) ?? 0) + 1);
  return {
    requests: rows.length,
    identical: count('identical'),
    different: count('different'),
    missing: count('missing-live') + count('missing-replay'),
    missingLive: count('missing-live'),
    missingReplay: count('missing-replay'),
    errors: count('error'),
    statusChanged: compared.filter((r) => r.statusChanged).length,
    meanCer: mean(compared.map((r) => r.cer)),
    meanLineDelta: mean(compared.map((r) => r.lineDelta)),
    meanConfidenceDelta: mean(compared.map((r) => r.confidenceDelta)),
    meanLiveMs: mean(compared.map((r) => r.liveMs)),
    meanReplayMs: mean(compared.map((r) => r.replayMs)),
    versionChanges: [...changes].map(([change, requests]) => ({ change, requests })).sort((a, b) => b.requests - a.requests || a.change.localeCompare(b.change)),
  };
}

/**
 * The `n` rows that differ most: changed status first, then higher CER, then
 * more lines gained or lost, then a larger confidence change. Identical rows
 * never appear; missing and error rows come last.
 */
export function mostDifferent(rows: readonly ComparisonRow[], n: number): ComparisonRow[] {
  const rank = (r: ComparisonRow): number => (r.outcome === 'different' ? 0 : r.outcome === 'error' ? 2 : 1);
  return rows
    .filter((r) => r.outcome !== 'identical')
    .sort(
      (a, b) =>
        rank(a) - rank(b) ||
        Number(b.statusChanged) - Number(a.statusChanged) ||
        (b.cer ?? 0) - (a.cer ?? 0) ||
        Math.abs(b.lineDelta ?? 0) - Math.abs(a.lineDelta ?? 0) ||
        Math.abs(b.confidenceDelta ?? 0) - Math.abs(a.confidenceDelta ?? 0) ||
        a.originalId.localeCompare(b.originalId),
    )
    .slice(0, Math.max(0, n));
}
